namespace LayerLock.NodeAgent.Coordination;

/// <summary>How the agent's <see cref="LockClient"/> reaches and keeps its link to the Coordinator.</summary>
/// <param name="LockManagerPath">The Coordinator's lock manager, e.g. <c>akka.tcp://layerlock@127.0.0.1:8081/user/lock-manager</c>;
/// used when <see cref="Discover"/> is null.</param>
/// <param name="Jitter">Fraction of each re-registration delay spread at random (0.2 = ±20%).</param>
public sealed record LockClientOptions(string Node, string LockManagerPath, TimeSpan ReconnectInitial, TimeSpan ReconnectMax, double Jitter)
{
    /// <summary>How long one registration attempt waits for its answer before the next; default 5 s.</summary>
    public TimeSpan RegisterTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>How often the client tells its session what it holds (and hears back); default 1 s.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The link is lost when the session has not answered for this long; default 3 s, the same
    /// bound as the Coordinator's watch failure detector on its side.
    /// </summary>
    public TimeSpan LinkTimeout { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// After its link is lost, how long the agent goes on believing in the locks it holds while it
    /// re-registers; default 4 s. Past it a live Coordinator has failed them over and a restarted
    /// one's recovery grace is over. Match the Coordinator's <c>recovery.grace</c>.
    /// </summary>
    public TimeSpan LeaseGrace { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// Asks the Coordinator's HTTP API where its lock manager is (<c>GET /v1/agent-link</c>) before
    /// each registration; null = use <see cref="LockManagerPath"/> as configured.
    /// </summary>
    public Func<CancellationToken, Task<string>>? Discover { get; init; }

    /// <summary>How the Coordinator is named in log lines (its URL or its lock manager path).</summary>
    public string CoordinatorName { get; init; } = "the coordinator";

    /// <summary>The Coordinator's shared secret, presented at registration; null = none.</summary>
    public string? AuthToken { get; init; }

    /// <summary>Where this agent serves its layers to peers (<c>http://HOST:PORT</c>), told at registration; null = it serves none.</summary>
    public string? PeerUrl { get; init; }

    /// <summary>The delay before re-registration attempt <paramref name="attempt"/> (0-based): doubling, capped, with jitter.</summary>
    public TimeSpan ReconnectDelay(int attempt, double random)
    {
        var doubled = ReconnectInitial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(doubled, ReconnectMax.TotalMilliseconds);
        var spread = 1 + (Jitter * ((2 * random) - 1));
        return TimeSpan.FromMilliseconds(Math.Max(0, capped * spread));
    }
}
