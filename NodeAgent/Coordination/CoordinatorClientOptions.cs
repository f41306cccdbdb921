namespace LayerLock.NodeAgent.Coordination;

/// <param name="Coordinator">Base URL, e.g. http://127.0.0.1:8080; the session is at /v1/session.</param>
/// <param name="Jitter">Fraction of each reconnect delay spread at random (0.2 = ±20%).</param>
public sealed record CoordinatorClientOptions(
    Uri Coordinator,
    string Node,
    TimeSpan ReconnectInitial,
    TimeSpan ReconnectMax,
    double Jitter,
    TimeSpan KeepAliveInterval,
    TimeSpan KeepAliveTimeout)
{
    /// <summary>
    /// After its session ends, how long the agent goes on believing in the locks it holds while it
    /// reconnects. Past it, a live Coordinator has failed them over and a restarted one's recovery
    /// grace is over, so they are surely lost. Match the Coordinator's <c>recovery.grace</c>.
    /// </summary>
    public TimeSpan LeaseGrace { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>The Coordinator's shared secret, sent as <c>Authorization: Bearer</c>; null = none.</summary>
    public string? AuthToken { get; init; }

    /// <summary>A PEM certificate (the Coordinator's own, or its CA) to trust for https/wss; null = the system's trust.</summary>
    public string? TrustedCertificate { get; init; }

    public Uri SessionUri => new UriBuilder(Coordinator)
    {
        Scheme = Coordinator.Scheme == Uri.UriSchemeHttps ? "wss" : "ws",
        Path = "/v1/session",
    }.Uri;

    /// <summary>The delay before reconnect attempt <paramref name="attempt"/> (0-based): doubling, capped, with jitter.</summary>
    public TimeSpan ReconnectDelay(int attempt, double random)
    {
        var doubled = ReconnectInitial.TotalMilliseconds * Math.Pow(2, Math.Min(attempt, 30));
        var capped = Math.Min(doubled, ReconnectMax.TotalMilliseconds);
        var spread = 1 + (Jitter * ((2 * random) - 1));
        return TimeSpan.FromMilliseconds(Math.Max(0, capped * spread));
    }
}
