using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Actor;
using Akka.Configuration;
using LayerLock.NodeAgent.Coordination;
using Microsoft.Extensions.Logging;

namespace LayerLock.LoadDriver.Systems.LayerLock;

/// <summary>
/// LayerLock through the agent's own Akka.Remote link (<see cref="CoordinatorLink"/>, its
/// <c>LockClient</c> actor). The driver process runs ONE ActorSystem for all its clients, so they
/// share one Akka.Remote association; each client is its own <c>LockClient</c> actor, its own node
/// name and its own session on the Coordinator (<c>RegisterAgent</c> to <c>/user/lock-manager</c>).
/// Acquire sends <c>AcquireLock</c> with a long wait to the session and waits for <c>LockGranted</c>;
/// release sends <c>ReleaseLock</c> and waits for <c>LockReleased</c>. Liveness is the session: the
/// client's <c>ReconcileHeld</c> every second, answered by <c>LinkAlive</c>; no per-lock renewal.
/// The Coordinator fails a dead holder's locks over when its process dies (<c>DisassociatedEvent</c>)
/// or its client actor stops (<c>Terminated</c> through remote DeathWatch).
/// </summary>
internal sealed class LayerLockRemoteSystem(Uri coordinator, TimeSpan wait, ILogger logger) : ILockSystem
{
    // The agent's defaults: reconnect timings as hocon/agent.conf gives them, the rest LockClientOptions' own.
    private static readonly LockClientOptions AgentDefaults = new(string.Empty, string.Empty, TimeSpan.FromMilliseconds(200), TimeSpan.FromSeconds(10), 0.2);
    private static readonly TimeSpan DiscoveryTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan TerminateTimeout = TimeSpan.FromSeconds(10);

    private readonly SemaphoreSlim _starting = new(1, 1);
    private ActorSystem? _system;
    private string? _lockManager;

    public string Name => LockSystems.LayerLockRemote;

    public string Protocol =>
        "NodeAgent CoordinatorLink over Akka.Remote (DotNetty TCP); one ActorSystem and one association for all clients of a driver process, " +
        "each client its own LockClient actor, node and session (RegisterAgent to /user/lock-manager); " +
        $"AcquireLock wait_ms={(long)wait.TotalMilliseconds} waits for LockGranted, ReleaseLock waits for LockReleased; " +
        $"session liveness ReconcileHeld/LinkAlive every {AgentDefaults.HeartbeatInterval.TotalSeconds:0}s, link lost after {AgentDefaults.LinkTimeout.TotalSeconds:0}s of silence; no per-lock renewal; " +
        "the Coordinator fails a dead holder over on DisassociatedEvent (process gone) or DeathWatch Terminated (client stopped)";

    public JsonObject Settings() => new()
    {
        ["endpoint"] = coordinator.ToString(),
        ["lock_manager"] = _lockManager,
        ["transport"] = "akka.remote dot-netty tcp, one ActorSystem per driver process, one LockClient actor (node, session) per client",
        ["wait_ms"] = (long)wait.TotalMilliseconds,
        ["heartbeat_interval_ms"] = (long)AgentDefaults.HeartbeatInterval.TotalMilliseconds,
        ["link_timeout_ms"] = (long)AgentDefaults.LinkTimeout.TotalMilliseconds,
        ["per_lock_renewal"] = false,
        ["dead_holder_seen_by"] = "DisassociatedEvent (process gone) or DeathWatch Terminated (client stopped; silent cut after the watch failure detector)",
    };

    public async Task<ILockClient> ConnectAsync(string clientName, CancellationToken cancellation)
    {
        var (system, lockManager) = await StartAsync(cancellation).ConfigureAwait(false);
        var options = AgentDefaults with { Node = clientName, LockManagerPath = lockManager, CoordinatorName = coordinator.ToString() };
        var link = CoordinatorLink.Attach(system, options, logger);
        link.Start();
        try
        {
            await link.WaitConnectedAsync(cancellation).ConfigureAwait(false);
        }
        catch
        {
            await link.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new LayerLockRemoteClient(clientName, link, wait);
    }

    public async ValueTask DisposeAsync()
    {
        if (_system is { } system)
        {
            try
            {
                await system.Terminate().WaitAsync(TerminateTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The process exits anyway; nothing of it is left on the Coordinator's side to wait for.
            }
        }

        _starting.Dispose();
    }

    // The ActorSystem and where the lock manager is, once for all clients (an agent would look the
    // path up before each registration; layerlock.agent.lock-manager skips it the same way).
    private async Task<(ActorSystem System, string LockManager)> StartAsync(CancellationToken cancellation)
    {
        await _starting.WaitAsync(cancellation).ConfigureAwait(false);
        try
        {
            _lockManager ??= await DiscoverAsync(cancellation).ConfigureAwait(false);
            _system ??= ActorSystem.Create(
                CoordinatorLink.ActorSystemName,
                ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(AgentLinkSettings.Defaults));
            return (_system, _lockManager);
        }
        finally
        {
            _starting.Release();
        }
    }

    private async Task<string> DiscoverAsync(CancellationToken cancellation)
    {
        using var http = new HttpClient { BaseAddress = coordinator, Timeout = DiscoveryTimeout };
        try
        {
            var body = await http.GetStringAsync(new Uri("v1/agent-link", UriKind.Relative), cancellation).ConfigureAwait(false);
            using var answer = JsonDocument.Parse(body);
            return answer.RootElement.TryGetProperty("lock_manager", out var path) && path.GetString() is { Length: > 0 } lockManager
                ? lockManager
                : throw new LockSystemException($"{LockSystems.LayerLockRemote}: GET {coordinator}v1/agent-link did not name the lock manager: {body}");
        }
        catch (Exception error) when (error is HttpRequestException or JsonException or TaskCanceledException && !cancellation.IsCancellationRequested)
        {
            throw new LockSystemException($"{LockSystems.LayerLockRemote}: GET {coordinator}v1/agent-link failed: {error.Message}", error);
        }
    }
}
