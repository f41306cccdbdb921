namespace LayerLock.LoadDriver.Systems;

/// <summary>
/// Named client settings per system (<c>--profile</c>), so a run states "what a user of that
/// system would configure" rather than raw TTLs. The server-side settings that go with a profile
/// (etcd's raft timing) are the orchestration script's to choose.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>default</c>: each system's out-of-the-box client settings. layerlock-remote: the agent's
/// Akka.Remote session (ReconcileHeld/LinkAlive every 1 s, link timeout 3 s), no TTL; layerlock-http: the Coordinator's default lease (30 s, kept alive every
/// 10 s), no <c>release_on_disconnect</c>; etcd: a 60 s lease (the default session TTL of etcd's
/// <c>concurrency</c> package and <c>etcdctl lock</c>) kept alive every 20 s; redis: a 30 s TTL renewed every
/// 10 s (Redisson's lock watchdog), waiters retrying every 100 ms.</item>
/// <item><c>aggressive</c>: the fastest fail-over a client can ask for. layerlock-remote: as default (a dead
/// holder's process exit is an Akka.Remote disassociation, seen at once either way); layerlock-http: <c>release_on_disconnect: true</c> (the lock
/// ends when the connection that took it closes), 30 s lease otherwise; etcd: a 1 s lease, the smallest
/// TTL etcd accepts (it raises anything below its minimum; the granted TTL is recorded as
/// <c>lease_ttl_granted_ms</c>), kept alive every 333 ms; redis: a 250 ms TTL renewed every 83 ms (still
/// renewable by a healthy holder on loopback), waiters retrying every 1 ms.</item>
/// <item><c>long-hold</c>: for holding many locks for minutes (the scale workload). layerlock-remote: as default;
/// layerlock-http and redis: a 30 min TTL, so no renewal falls inside a run; etcd: as default (60 s
/// leases kept alive every 20 s — one keep-alive per lease, not per lock).</item>
/// </list>
/// </remarks>
public static class LockProfiles
{
    public const string Default = "default";
    public const string Aggressive = "aggressive";
    public const string LongHold = "long-hold";

    public static IReadOnlyList<string> Names { get; } = [Default, Aggressive, LongHold];

    /// <summary>
    /// The client settings of <paramref name="profile"/> for <paramref name="system"/>: TTL, retry
    /// interval and <c>release_on_disconnect</c> replaced; endpoint and wait kept from <paramref name="given"/>.
    /// </summary>
    /// <exception cref="ArgumentException">Unknown profile.</exception>
    public static LockSystemOptions Apply(string profile, string system, LockSystemOptions given) => (profile, system) switch
    {
        // The session is the lease: no TTL to choose, in any profile.
        (Default or Aggressive or LongHold, LockSystems.LayerLockRemote) => given,
        (Default, LockSystems.LayerLockHttp) => given with { Ttl = TimeSpan.FromSeconds(30), ReleaseOnDisconnect = false },
        (Aggressive, LockSystems.LayerLockHttp) => given with { Ttl = TimeSpan.FromSeconds(30), ReleaseOnDisconnect = true },
        (LongHold, LockSystems.LayerLockHttp) => given with { Ttl = TimeSpan.FromMinutes(30), ReleaseOnDisconnect = false },
        (Default or LongHold, LockSystems.Etcd) => given with { Ttl = TimeSpan.FromSeconds(60) },
        (Aggressive, LockSystems.Etcd) => given with { Ttl = TimeSpan.FromSeconds(1) },
        (Default, LockSystems.Redis) => given with { Ttl = TimeSpan.FromSeconds(30), RetryInterval = TimeSpan.FromMilliseconds(100) },
        (Aggressive, LockSystems.Redis) => given with { Ttl = TimeSpan.FromMilliseconds(250), RetryInterval = TimeSpan.FromMilliseconds(1) },
        (LongHold, LockSystems.Redis) => given with { Ttl = TimeSpan.FromMinutes(30), RetryInterval = TimeSpan.FromMilliseconds(100) },
        _ when !Names.Contains(profile) => throw new ArgumentException($"unknown profile '{profile}'; valid: {string.Join(", ", Names)}"),
        _ => throw new ArgumentException($"unknown system '{system}'; valid: {string.Join(", ", LockSystems.Names)}"),
    };
}
