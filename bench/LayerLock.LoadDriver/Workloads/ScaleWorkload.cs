using System.Diagnostics;
using System.Globalization;
using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// Many holders at once: <c>--sessions</c> clients (sessions, leases, connections) hold
/// <c>--keys</c> keys between them (spread evenly). Measures the time to load, the server's memory
/// before and under the load (with <c>--server-pid</c>), the CPU the server and the driver spend
/// just keeping the load alive, and the grant latency of one extra client cycling on fresh keys
/// while the load is held; then releases everything. Every phase is bounded: a load not reached in
/// <c>--load-timeout</c> is measured as it stands and shows in the checks (sessions_missing,
/// keys_missing, load_timed_out).
/// For <c>layerlock-remote</c>, <c>--keys-per-session M</c> splits the load: the <c>--sessions</c>
/// Akka.Remote link clients (all in the driver's one ActorSystem, each its own node and session)
/// hold M keys each, and HTTP leases (<c>POST /lock</c>, long-hold TTL) on <c>--http-clients</c>
/// node names hold the rest, as a Coordinator serving that many agents and HTTP users would.
/// </summary>
public sealed class ScaleWorkload : ISelfTimedWorkload
{
    private const string SessionsFlag = "sessions";
    private const string KeysFlag = "keys";
    private const string ProbeFlag = "probe-cycles";
    private const string LoadTimeoutFlag = "load-timeout";
    private const string KeysPerSessionFlag = "keys-per-session";
    private const string HttpClientsFlag = "http-clients";
    private static readonly TimeSpan DefaultLoadTimeout = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ProbeCap = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReleaseCap = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan DisposeCap = TimeSpan.FromMinutes(1);

    public string Name => "scale";

    public int DefaultClients => 1;

    public IReadOnlyDictionary<string, string> ExtraFlags { get; } = new Dictionary<string, string>
    {
        [SessionsFlag] = "clients holding the load: sessions, leases or connections (default 10000)",
        [KeysFlag] = "keys held between them, spread evenly (default 100000)",
        [ProbeFlag] = "acquire + release cycles of the extra client on fresh keys while the load is held (default 2000)",
        [LoadTimeoutFlag] = "bound on connecting and acquiring the load (default 4m)",
        [KeysPerSessionFlag] = "layerlock-remote only: keys each link client holds; HTTP leases hold the rest of --keys (default: keys / sessions, no HTTP)",
        [HttpClientsFlag] = "layerlock-remote only: node names holding the HTTP leases (default: as many keys each as a link client)",
    };

    public IReadOnlyList<string> Profiles { get; } = [LockProfiles.LongHold];

    public TimeSpan HardCap(WorkloadOptions options)
    {
        try
        {
            return Shape.Of(options).LoadTimeout + Settle + Idle + ProbeCap + ReleaseCap + DisposeCap + TimeSpan.FromSeconds(60);
        }
        catch (ArgumentException)
        {
            // Bad flags: RunAsync refuses them at once, with the message.
            return TimeSpan.FromMinutes(1);
        }
    }

    public async Task<WorkloadResult> RunAsync(ILockSystem system, WorkloadOptions options, CancellationToken cancellation)
    {
        var shape = Shape.Of(options);
        var server = options.Context?.Server;
        var result = new WorkloadResult();
        result.Params["sessions"] = shape.Sessions;
        result.Params["keys"] = shape.Keys;
        result.Params["probe_cycles"] = shape.ProbeCycles;
        var linkKeys = shape.Keys - shape.HttpKeys;
        if (options.Context?.System == LockSystems.LayerLockRemote)
        {
            // The agents' side: one ActorSystem in this process, one LockClient actor (node, session) per link client.
            result.Params["link_actor_systems"] = 1;
            result.Params["link_clients"] = shape.Sessions;
            result.Params["link_keys"] = linkKeys;
            result.Params["keys_per_link_client"] = Math.Round((double)linkKeys / shape.Sessions, 1);
            result.Params["http_clients"] = shape.HttpClients;
            result.Params["http_keys"] = shape.HttpKeys;
        }

        Record(result, "server_rss_before_mib", server?.TryRead()?.RssMib);

        var load = new HeldLoad(system, shape.Sessions, linkKeys, i => $"bench-{options.RunId}-s{i}", j => options.Key($"k{j}"));
        await using var http = shape.HttpKeys > 0 ? HttpLeases(options) : null;
        var httpLoad = http is null ? null : new HeldLoad(http, shape.HttpClients, shape.HttpKeys, i => $"bench-{options.RunId}-h{i}", j => options.Key($"k{linkKeys + j}"));
        var started = Stopwatch.GetTimestamp();
        bool connected, acquired;
        TimeSpan connectTime, loadTime;
        using (var loading = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
        {
            loading.CancelAfter(shape.LoadTimeout);
            connected = await load.ConnectAsync(loading.Token).ConfigureAwait(false)
                && (httpLoad is null || await httpLoad.ConnectAsync(loading.Token).ConfigureAwait(false));
            connectTime = Stopwatch.GetElapsedTime(started);
            acquired = connected && await load.AcquireAsync(loading.Token).ConfigureAwait(false)
                && (httpLoad is null || await httpLoad.AcquireAsync(loading.Token).ConfigureAwait(false));
            loadTime = Stopwatch.GetElapsedTime(started);
        }

        cancellation.ThrowIfCancellationRequested();
        var held = load.Held + (httpLoad?.Held ?? 0);
        var sessionsConnected = load.Connected;
        var httpConnected = httpLoad?.Connected ?? 0;
        if (httpLoad is not null)
        {
            result.Metrics["link_keys_held"] = load.Held;
            result.Metrics["http_keys_held"] = httpLoad.Held;
        }

        var loaded = server?.TryRead();
        Record(result, "server_rss_loaded_mib", loaded?.RssMib);
        Record(result, "driver_rss_loaded_mib", ProcessUsage.Self.TryRead()?.RssMib);
        var (serverCpu, driverCpu) = await IdleCpuAsync(server, cancellation).ConfigureAwait(false);
        var probe = await ProbeAsync(system, options, shape.ProbeCycles, cancellation).ConfigureAwait(false);

        var releaseStarted = Stopwatch.GetTimestamp();
        bool released;
        using (var releasing = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
        {
            releasing.CancelAfter(ReleaseCap);
            released = await load.ReleaseAsync(releasing.Token).ConfigureAwait(false)
                && (httpLoad is null || await httpLoad.ReleaseAsync(releasing.Token).ConfigureAwait(false));
        }

        var releaseTime = Stopwatch.GetElapsedTime(releaseStarted);
        var notReleased = load.Held + (httpLoad?.Held ?? 0);
        var disposed = await load.DisposeAsync(DisposeCap).ConfigureAwait(false)
            && (httpLoad is null || await httpLoad.DisposeAsync(DisposeCap).ConfigureAwait(false));

        var before = result.Metrics.TryGetValue("server_rss_before_mib", out var rssBefore) ? rssBefore : double.NaN;
        var grant = probe.Grants.PercentilesMicros(50, 99);
        var cycle = probe.Cycles.PercentilesMicros(50, 99);
        var acquireTime = loadTime - connectTime;
        result.Metrics["connect_s"] = Math.Round(connectTime.TotalSeconds, 2);
        result.Metrics["acquire_s"] = Math.Round(acquireTime.TotalSeconds, 2);
        result.Metrics["load_s"] = Math.Round(loadTime.TotalSeconds, 2);
        result.Metrics["acquires_per_s"] = Math.Round(held / Math.Max(acquireTime.TotalSeconds, 0.001), 0);
        result.Metrics["server_kib_per_key"] = loaded is { } l && held > 0 ? Math.Round((l.RssMib - before) * 1024 / held, 2) : double.NaN;
        result.Metrics["server_cpu_idle_pct"] = serverCpu;
        result.Metrics["driver_cpu_idle_pct"] = driverCpu;
        result.Metrics["grant_p50_us"] = Math.Round(grant[0], 1);
        result.Metrics["grant_p99_us"] = Math.Round(grant[1], 1);
        result.Metrics["probe_cycle_p50_us"] = Math.Round(cycle[0], 1);
        result.Metrics["probe_cycle_p99_us"] = Math.Round(cycle[1], 1);
        result.Metrics["release_s"] = Math.Round(releaseTime.TotalSeconds, 2);
        result.Checks["sessions_missing"] = shape.Sessions - sessionsConnected;
        if (httpLoad is not null)
        {
            result.Checks["http_clients_missing"] = shape.HttpClients - httpConnected;
        }

        result.Checks["keys_missing"] = shape.Keys - held;
        result.Checks["load_timed_out"] = connected && acquired ? 0 : 1;
        result.Checks["connect_errors"] = load.ConnectErrors + (httpLoad?.ConnectErrors ?? 0);
        result.Checks["acquire_errors"] = load.AcquireErrors + (httpLoad?.AcquireErrors ?? 0);
        result.Checks["probe_cycles_missing"] = shape.ProbeCycles - probe.Cycles.Count;
        result.Checks["probe_errors"] = probe.Errors;
        result.Checks["release_errors"] = load.ReleaseErrors + (httpLoad?.ReleaseErrors ?? 0);
        result.Checks["keys_not_released"] = notReleased;
        result.Checks["release_timed_out"] = released ? 0 : 1;
        result.Checks["dispose_timed_out"] = disposed ? 0 : 1;
        result.Notes.Add(
            $"key j is held by client j mod sessions, each client taking its keys one after the other, {HeldLoad.LockParallelism} clients at a time " +
            $"(connects: {HeldLoad.ConnectParallelism} at a time); " +
            $"load_s = connect_s + acquire_s; server_kib_per_key = (RSS under load − RSS before) / keys held, sessions included; " +
            $"cpu_idle_pct = CPU time over {Idle.TotalSeconds:0} s of holding the load with nothing else running, {Settle.TotalSeconds:0} s after loading (100 = one core busy): the cost of keeping it alive; " +
            "grant = one extra client's AcquireAsync on a fresh key while the load is held (probe_cycle = acquire + release)");
        result.Notes.Add(SystemNote(options.Context?.System ?? system.Name, options.Context?.SystemOptions));
        if (httpLoad is not null)
        {
            result.Notes.Add(
                $"layerlock-remote mix: {shape.Sessions} link clients hold {linkKeys} keys, then {shape.HttpClients} HTTP node names hold {shape.HttpKeys} keys " +
                "as leases (POST /lock, TTL 30 min, one pooled HTTP client); connect_s and acquire_s cover both parts");
        }

        if ((load.FirstError ?? httpLoad?.FirstError ?? probe.FirstError) is { } first)
        {
            result.Notes.Add($"first error: {first}");
        }

        result.Summary = string.Create(
            CultureInfo.InvariantCulture,
            $"sessions={shape.Sessions} keys={shape.Keys}{(shape.HttpKeys > 0 ? $" (http leases {shape.HttpKeys} on {shape.HttpClients} nodes)" : "")}: held {held} in {loadTime.TotalSeconds:0.0} s (connect {connectTime.TotalSeconds:0.0} s); " +
            $"server RSS {Show(before)} → {Show(loaded?.RssMib)} MiB, idle CPU server {serverCpu:0.#}% driver {driverCpu:0.#}%; " +
            $"grant p50 {grant[0]:0} µs, p99 {grant[1]:0} µs; released in {releaseTime.TotalSeconds:0.0} s; " +
            $"errors connect {load.ConnectErrors}, acquire {load.AcquireErrors}, probe {probe.Errors}, release {load.ReleaseErrors}");
        return result;
    }

    private static string SystemNote(string system, LockSystemOptions? options) => system switch
    {
        LockSystems.LayerLockRemote =>
            "layerlock-remote: one session per client over Akka.Remote (NodeAgent's CoordinatorLink; every client its own LockClient actor and node, " +
            "all in the driver's one ActorSystem, one association; ReconcileHeld/LinkAlive every 1 s per session); no per-lock renewal",
        LockSystems.LayerLockHttp =>
            $"layerlock-http has no sessions: a client is a node name, all share one pooled HTTP/1.1 client (at most 64 connections in use); " +
            $"TTL {options?.Ttl.TotalMinutes:0} min, so no keep-alive falls inside the run (one per lock every TTL/3 otherwise)",
        LockSystems.Etcd =>
            $"etcd: one lease per client (TTL {options?.Ttl.TotalSeconds:0} s, one keep-alive per lease every {(options?.Ttl / 3)?.TotalSeconds:0} s, running during the run), " +
            "keys through the lock service (one key per lock under the lease); dotnet-etcd, one gRPC channel (HTTP/2) shared by all clients",
        LockSystems.Redis =>
            $"redis: one StackExchange.Redis multiplexer (one TCP connection) per client; TTL {options?.Ttl.TotalMinutes:0} min, so no renewal falls inside the run " +
            "(a Redisson client would renew each lock every 10 s: 1/10 s × keys EVALs per second more)",
        _ => system,
    };

    // The HTTP part of a layerlock-remote mix: the same Coordinator's HTTP API under the long-hold profile.
    private static ILockSystem HttpLeases(WorkloadOptions options)
    {
        var context = options.Context ?? throw new ArgumentException($"--{KeysPerSessionFlag} needs the run's system options (RunContext)");
        var leases = LockProfiles.Apply(LockProfiles.LongHold, LockSystems.LayerLockHttp, context.SystemOptions);
        return LockSystems.Create(LockSystems.LayerLockHttp, leases, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance);
    }

    private static async Task<(double Server, double Driver)> IdleCpuAsync(ProcessUsage? server, CancellationToken cancellation)
    {
        // What the load left behind (collections, log flushes, tiered JIT) is not the cost of holding it.
        await Task.Delay(Settle, cancellation).ConfigureAwait(false);
        var serverBefore = server?.TryReadCpu();
        var driverBefore = ProcessUsage.Self.TryReadCpu();
        var started = Stopwatch.GetTimestamp();
        await Task.Delay(Idle, cancellation).ConfigureAwait(false);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalSeconds;
        double Percent(TimeSpan? from, TimeSpan? to) => from is { } a && to is { } b ? Math.Round((b - a).TotalSeconds / elapsed * 100, 1) : double.NaN;
        return (Percent(serverBefore, server?.TryReadCpu()), Percent(driverBefore, ProcessUsage.Self.TryReadCpu()));
    }

    private static async Task<ProbeResult> ProbeAsync(ILockSystem system, WorkloadOptions options, int cycles, CancellationToken cancellation)
    {
        var probe = new ProbeResult(new LatencySamples(1), new LatencySamples(1));
        if (cycles == 0)
        {
            return probe;
        }

        using var cap = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        cap.CancelAfter(ProbeCap);
        ILockClient client;
        try
        {
            client = await system.ConnectAsync($"bench-{options.RunId}-probe", cap.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is LockSystemException or OperationCanceledException && !cancellation.IsCancellationRequested)
        {
            return probe with { Errors = 1, FirstError = $"the probe client did not connect: {error.Message}" };
        }

        await using (client.ConfigureAwait(false))
        {
            try
            {
                for (var i = 0; i < cycles && probe.Errors < ErrorTally.MaxPerClient; i++)
                {
                    var started = Stopwatch.GetTimestamp();
                    try
                    {
                        var handle = await client.AcquireAsync(options.Key($"probe{i}"), cap.Token).ConfigureAwait(false);
                        var granted = Stopwatch.GetTimestamp();
                        await client.ReleaseAsync(handle, cap.Token).ConfigureAwait(false);
                        probe.Grants.Add(0, granted - started);
                        probe.Cycles.Add(0, Stopwatch.GetTimestamp() - started);
                    }
                    catch (LockSystemException error)
                    {
                        probe = probe with { Errors = probe.Errors + 1, FirstError = probe.FirstError ?? error.Message };
                    }
                }
            }
            catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
            {
                // Past the probe's cap: the missing cycles show in the checks.
            }
        }

        return probe;
    }

    private static void Record(WorkloadResult result, string metric, double? value)
    {
        if (value is { } v)
        {
            result.Metrics[metric] = v;
        }
    }

    private static string Show(double? value) => value is { } v && double.IsFinite(v) ? v.ToString("0", CultureInfo.InvariantCulture) : "?";

    private sealed record ProbeResult(LatencySamples Grants, LatencySamples Cycles)
    {
        public int Errors { get; init; }

        public string? FirstError { get; init; }
    }

    /// <param name="HttpKeys">layerlock-remote only: keys held as HTTP leases (the rest of --keys), on <paramref name="HttpClients"/> node names.</param>
    private sealed record Shape(int Sessions, int Keys, int ProbeCycles, TimeSpan LoadTimeout, int HttpKeys, int HttpClients)
    {
        public static Shape Of(WorkloadOptions options)
        {
            var sessions = Whole(options, SessionsFlag, 10_000, 1, 50_000);
            var keys = Whole(options, KeysFlag, 100_000, 1, 2_000_000);
            if (keys < sessions)
            {
                throw new ArgumentException($"--{KeysFlag} ({keys}) must be at least --{SessionsFlag} ({sessions}): every client holds at least one key");
            }

            var timeout = DefaultLoadTimeout;
            if (options.Extra.TryGetValue(LoadTimeoutFlag, out var text)
                && !(Cli.CommandLine.TryParseDuration(text, out timeout) && timeout >= TimeSpan.FromSeconds(10) && timeout <= TimeSpan.FromMinutes(30)))
            {
                throw new ArgumentException($"--{LoadTimeoutFlag} must be a duration from 10s to 30m such as 4m; got '{text}'");
            }

            var (httpKeys, httpClients) = (0, 0);
            if (options.Extra.ContainsKey(KeysPerSessionFlag) || options.Extra.ContainsKey(HttpClientsFlag))
            {
                if (options.Context is { } context && context.System != LockSystems.LayerLockRemote)
                {
                    throw new ArgumentException($"--{KeysPerSessionFlag} and --{HttpClientsFlag} are for {LockSystems.LayerLockRemote} only (its link clients plus HTTP leases)");
                }

                var perSession = Whole(options, KeysPerSessionFlag, keys / sessions, 1, keys / sessions);
                httpKeys = keys - (perSession * sessions);
                var perHttpClient = Math.Max(perSession, 1);
                httpClients = httpKeys == 0 ? 0 : Whole(options, HttpClientsFlag, (httpKeys + perHttpClient - 1) / perHttpClient, 1, httpKeys);
            }

            return new Shape(sessions, keys, Whole(options, ProbeFlag, 2000, 0, 100_000), timeout, httpKeys, httpClients);
        }

        private static int Whole(WorkloadOptions options, string flag, int fallback, int min, int max)
        {
            if (!options.Extra.TryGetValue(flag, out var text))
            {
                return fallback;
            }

            return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
                ? value
                : throw new ArgumentException($"--{flag} must be a whole number from {min} to {max}, got '{text}'");
        }
    }
}
