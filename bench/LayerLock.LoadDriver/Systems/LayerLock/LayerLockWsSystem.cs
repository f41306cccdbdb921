using System.Text.Json.Nodes;
using LayerLock.NodeAgent.Coordination;
using Microsoft.Extensions.Logging;

namespace LayerLock.LoadDriver.Systems.LayerLock;

/// <summary>
/// LayerLock through the agent's own session client (<see cref="CoordinatorLink"/>): one client =
/// one WebSocket session = one node name. Acquire sends <c>lock</c> with a long <c>wait_ms</c> and
/// waits for <c>granted</c>; release sends <c>unlock</c> and waits for <c>released</c>. Liveness is
/// the session itself (WebSocket keep-alive), so there is no per-lock renewal.
/// </summary>
internal sealed class LayerLockWsSystem(Uri coordinator, TimeSpan wait, ILogger logger) : ILockSystem
{
    // The agent's defaults (hocon/agent.conf).
    private static readonly TimeSpan ReconnectInitial = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ReconnectMax = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan KeepAliveTimeout = TimeSpan.FromSeconds(2);

    public string Name => "layerlock-ws";

    public string Protocol =>
        $"NodeAgent CoordinatorClient, one WebSocket session per client; lock frame with wait_ms={(long)wait.TotalMilliseconds}, " +
        $"unlock waits for released; session keep-alive {KeepAliveInterval.TotalSeconds:0}s/{KeepAliveTimeout.TotalSeconds:0}s, no per-lock renewal";

    public JsonObject Settings() => new()
    {
        ["endpoint"] = coordinator.ToString(),
        ["wait_ms"] = (long)wait.TotalMilliseconds,
        ["keepalive_interval_ms"] = (long)KeepAliveInterval.TotalMilliseconds,
        ["keepalive_timeout_ms"] = (long)KeepAliveTimeout.TotalMilliseconds,
    };

    public async Task<ILockClient> ConnectAsync(string clientName, CancellationToken cancellation)
    {
        var options = new LockClientOptions(clientName, string.Empty, ReconnectInitial, ReconnectMax, 0.2);
        var link = new AgentLinkSettings(coordinator, null, options, null, AgentLinkSettings.Defaults.WithFallback(Akka.Configuration.ConfigurationFactory.ParseString("akka.loglevel = WARNING")));
        var client = CoordinatorLink.Create(link, logger);
        client.Start();
        try
        {
            await client.WaitConnectedAsync(cancellation).ConfigureAwait(false);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        return new LayerLockWsClient(clientName, client, wait);
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
