using Akka.Actor;
using Akka.Actor.Setup;
using Akka.Configuration;
using LayerLock.Hosting.Configuration;

namespace LayerLock.NodeAgent.Coordination;

/// <summary>
/// The agent's link to the Coordinator over Akka.Remote: an ActorSystem named <c>layerlock</c>
/// with remoting, and the <see cref="LockClient"/> actor in it. Callers (the registry mirror, the
/// <c>lock</c> verb) use the task-based methods here; every state change happens in the actor.
/// If the Coordinator quarantines this ActorSystem (after a network cut longer than its watch
/// failure detector's pause), the link stops it and starts a new one — a new UID, on the same
/// port — whose client re-registers and presents the locks still held: no operator needed.
/// A link made by <see cref="Attach"/> instead puts its client into an ActorSystem someone else
/// owns (many clients in one process, each its own node and session); it never restarts that system.
/// </summary>
public sealed class CoordinatorLink : IAsyncDisposable
{
    /// <summary>The ActorSystem's name on the Coordinator and on every agent.</summary>
    public const string ActorSystemName = "layerlock";

    private readonly LockClientOptions _options;
    private readonly Config _config;
    private readonly Setup? _tls;
    private readonly LinkLog _log;
    private readonly LinkState _state;
    private static long _attachedClients;
    private readonly SemaphoreSlim _restart = new(1, 1);
    private readonly bool _ownsSystem;
    private ActorSystem? _system;
    private IActorRef _client = ActorRefs.Nobody;
    private long _requestIds;
    private bool _disposed;

    /// <param name="config">The <c>akka { }</c> settings of the agent: remoting (provider, hostname, port), failure detector, serializer binding.</param>
    /// <param name="tls">Mutual TLS on the link; null = plain TCP.</param>
    /// <exception cref="System.Security.Cryptography.CryptographicException">A <paramref name="tls"/> file is not a PEM certificate or key.</exception>
    public CoordinatorLink(LockClientOptions options, Config config, ILogger logger, RemoteTls? tls = null)
    {
        _options = options;
        _config = tls is null ? config : ConfigurationFactory.ParseString(RemoteTls.Hocon).WithFallback(config);
        _tls = tls?.ToSetup();
        _log = new LinkLog(logger);
        _state = new LinkState(() => _ = RestartAsync());
        _ownsSystem = true;
    }

    private CoordinatorLink(LockClientOptions options, ActorSystem system, ILogger logger)
    {
        _options = options;
        _config = system.Settings.Config;
        _log = new LinkLog(logger);
        // The system is not ours to restart: after a quarantine this client stays unable to
        // register, which its owner sees as a link that never reconnects.
        _state = new LinkState(() => _log.Closed(options.Node, "the shared ActorSystem was quarantined by the coordinator; its owner must restart it", 0));
        _system = system;
    }

    /// <summary>
    /// A link whose <see cref="LockClient"/> lives in <paramref name="system"/>, an ActorSystem with
    /// remoting that the caller owns and terminates (name it <see cref="ActorSystemName"/>). Each
    /// attached link is its own node (<see cref="LockClientOptions.Node"/>) with its own session on
    /// the Coordinator; many share one ActorSystem and one Akka.Remote association. Disposing the
    /// link stops only its client: the Coordinator hears <c>Terminated</c> through remote DeathWatch
    /// and fails the client's locks over, as for a dead agent. <see cref="Start"/> it as any link.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="system"/> has no remoting (<c>akka.actor.provider = remote</c>).</exception>
    public static CoordinatorLink Attach(ActorSystem system, LockClientOptions options, ILogger logger) =>
        ((ExtendedActorSystem)system).Provider is Akka.Remote.IRemoteActorRefProvider
            ? new CoordinatorLink(options, system, logger)
            : throw new ArgumentException($"ActorSystem '{system.Name}' has no remoting; set akka.actor.provider = remote", nameof(system));

    /// <summary>
    /// A link for an agent: it learns where the lock manager is from <c>GET /v1/agent-link</c> on the
    /// Coordinator's URL before each registration (bearer token and TLS trust as configured), unless
    /// <see cref="AgentLinkSettings.LockManagerPath"/> names it.
    /// </summary>
    public static CoordinatorLink Create(AgentLinkSettings settings, ILogger logger)
    {
        var client = settings.Client;
        if (settings.LockManagerPath is null)
        {
            var handler = new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(1) };
            if (settings.TrustedCertificate is { } trusted)
            {
                handler.SslOptions.RemoteCertificateValidationCallback = TlsTrust.For(trusted);
            }

            var http = new HttpClient(handler) { BaseAddress = settings.Coordinator, Timeout = TimeSpan.FromSeconds(5) };
            if (client.AuthToken is { } token)
            {
                http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
            }

            client = client with { Discover = cancellation => DiscoverAsync(http, cancellation) };
        }

        return new CoordinatorLink(client, settings.Akka, logger, settings.RemoteTls);
    }

    /// <summary>True while a session is open.</summary>
    public bool IsConnected => _state.IsConnected;

    /// <summary>The locks this agent holds now.</summary>
    public IReadOnlyCollection<LockLease> Held => _state.Held;

    /// <summary>This link's ActorSystem address (e.g. <c>akka.tcp://layerlock@127.0.0.1:41234</c>), once started.</summary>
    public string? Address => (_system as ExtendedActorSystem)?.Provider.DefaultAddress.ToString();

    /// <summary>Starts the ActorSystem and the client, which registers in the background; returns at once.</summary>
    public void Start()
    {
        if (!_ownsSystem)
        {
            _client = _system!.ActorOf(LockClient.Props(_options, _state, _log), $"lock-client-{Interlocked.Increment(ref _attachedClients)}");
            return;
        }

        var bootstrap = BootstrapSetup.Create().WithConfig(_config);
        _system = _tls is null
            ? ActorSystem.Create(ActorSystemName, bootstrap)
            : ActorSystem.Create(ActorSystemName, ActorSystemSetup.Create(bootstrap, _tls));
        _client = _system.ActorOf(LockClient.Props(_options, _state, _log), "lock-client");
    }

    /// <summary>Completes when a session is open.</summary>
    public Task WaitConnectedAsync(CancellationToken cancellation) => _state.Connected.WaitAsync(cancellation);

    /// <summary>
    /// Asks for the lock on <paramref name="key"/> and waits for it. Survives link losses: the
    /// request is sent again on the next session. Cancelling withdraws it; a grant that arrives
    /// after that is handed back at once.
    /// </summary>
    /// <param name="registry">The upstream registry (host[:port]) the layer is fetched from: while it is rate-limited the Coordinator holds the grant back. Null = none.</param>
    /// <exception cref="LockNotAcquiredException">Busy (try-lock), timeout, superseded, ….</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellation"/> fired.</exception>
    /// <param name="excludeSources">Nodes whose peer transfer of this layer already failed here: not to be named by a peer grant again.</param>
    public async Task<LockLease> AcquireAsync(string key, TimeSpan wait, IProgress<LockQueuedProgress>? progress, CancellationToken cancellation, string? registry = null, IReadOnlyList<string>? excludeSources = null)
    {
        var requestId = Interlocked.Increment(ref _requestIds);
        var pending = new PendingLock(key, wait, progress, registry, excludeSources);
        _client.Tell(new LockClient.Acquire(requestId, pending));
        try
        {
            return await pending.Granted.Task.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            // The grant and the cancellation race: whichever completes the pending request first
            // wins. A grant that won is the caller's (it is in the client's held locks); a
            // cancellation that won makes the client hand a later grant back.
            if (!pending.Granted.TrySetCanceled(cancellation))
            {
                return await pending.Granted.Task.ConfigureAwait(false);
            }

            // Told here, not from a token registration: WaitAsync's own registration runs first and
            // its continuation would dispose a registration of ours before it ever ran.
            _client.Tell(new LockClient.Cancel(requestId));
            throw;
        }
    }

    /// <summary>
    /// Releases a held lock with the outcome of the work done under it, and waits until the release
    /// is confirmed: by the Coordinator's answer, or by a newer session that was opened without
    /// the lock (the old session's end released it on the fail path).
    /// </summary>
    /// <param name="retryAfter">The registry answered 429 or 503 with this <c>Retry-After</c>: the Coordinator pauses it for the fleet. Null = none.</param>
    /// <param name="bytes">Bytes fetched from upstream under the lock, for the Coordinator's byte metrics; null = not said.</param>
    /// <exception cref="LockRefusedException">The Coordinator no longer counts this agent as the holder.</exception>
    public async Task<ReleaseConfirmation> ReleaseAsync(LockLease lease, bool success, string? error, CancellationToken cancellation, TimeSpan? retryAfter = null, long? bytes = null)
    {
        var done = new TaskCompletionSource<ReleaseConfirmation>(TaskCreationOptions.RunContinuationsAsynchronously);
        _client.Tell(new LockClient.Release(lease, success, error, done) { RetryAfter = retryAfter, Bytes = bytes });
        return await done.Task.WaitAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>
    /// Tells the Coordinator every layer this node has and serves to peers (fire and forget): now
    /// if a session is open, and again on every later session. Ignored there unless the agent
    /// registered a peer URL.
    /// </summary>
    public void ReportLayers(IEnumerable<string> layers) =>
        _client.Tell(new LockClient.Layers([.. layers.Order(StringComparer.Ordinal)]));

    /// <summary>Reports the end of a peer grant's transfer (fire and forget): it frees the source's upload slot, and with success makes this node a source too.</summary>
    /// <param name="bytes">Bytes received from the peer.</param>
    /// <param name="missing">The peer answered 404: the Coordinator stops naming it as a source of this layer.</param>
    public void FinishPeerFetch(LockLease lease, bool success, long bytes, string? error, bool missing = false)
    {
        if (lease.Source is { } source)
        {
            _client.Tell(new LockClient.PeerDone(lease.Key, source.Node, success, bytes, error, missing));
        }
    }

    /// <summary>Tells the Coordinator how far the transfer under <paramref name="lease"/> has come (fire and forget).</summary>
    public void ReportProgress(LockLease lease, long bytes)
    {
        if (lease.Source is null && !lease.Lost.IsCancellationRequested)
        {
            _client.Tell(new LockClient.Progress(lease.Key, lease.Token, bytes));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _restart.WaitAsync().ConfigureAwait(false);
        try
        {
            _disposed = true;
            if (!_ownsSystem)
            {
                // Watch first: a client that is already gone still answers the watch.
                var stopped = _client.WatchAsync();
                _system!.Stop(_client);
                await stopped.WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
            else if (_system is { } system)
            {
                await system.Terminate().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            }
        }
        finally
        {
            _restart.Release();
        }
    }

    private static async Task<string> DiscoverAsync(HttpClient http, CancellationToken cancellation)
    {
        using var answer = await http.GetAsync(new Uri("v1/agent-link", UriKind.Relative), cancellation).ConfigureAwait(false);
        if (!answer.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"GET /v1/agent-link answered {(int)answer.StatusCode} {answer.ReasonPhrase}");
        }

        using var body = System.Text.Json.JsonDocument.Parse(await answer.Content.ReadAsStringAsync(cancellation).ConfigureAwait(false));
        return body.RootElement.TryGetProperty("lock_manager", out var path) && path.GetString() is { Length: > 0 } lockManager
            ? lockManager
            : throw new HttpRequestException("GET /v1/agent-link did not name the lock manager");
    }

    private async Task RestartAsync()
    {
        await _restart.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed || !_ownsSystem || _system is not { } old)
            {
                return;
            }

            // The old client's PostStop hands its leases to the new one through the link state.
            await old.Terminate().WaitAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);
            Start();
        }
        catch (Exception failed) when (failed is TimeoutException or InvalidOperationException)
        {
            _log.Closed(_options.Node, $"restarting the link's ActorSystem failed: {failed.Message}", 0);
        }
        finally
        {
            _restart.Release();
        }
    }
}
