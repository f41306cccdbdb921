using Akka.Actor;
using Akka.Configuration;
using LayerLock.Coordinator.Hosting;
using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Serialization;

namespace LayerLock.Coordinator.Agents;

/// <summary>
/// The Coordinator's side of the Akka.Remote agent link: its <c>akka { }</c> settings, and
/// <c>GET /v1/agent-link</c>, which tells an agent that knows only the Coordinator's URL where the
/// lock manager is (<c>{"address": "akka.tcp://layerlock@HOST:PORT", "lock_manager": "…/user/lock-manager"}</c>).
/// </summary>
internal static class RemoteLink
{
    public const string Path = "/v1/agent-link";

    /// <summary>
    /// Remoting on <paramref name="remote"/> (port 0 = any free port); <c>untrusted-mode = on</c>
    /// with only <c>/user/lock-manager</c> trusted for selections, so an agent can neither deploy
    /// actors nor stop the Coordinator's actors (and <c>Kill</c>, which untrusted mode lets
    /// through, is ignored by <see cref="KillProofGuardianStrategy"/>); the watch failure detector beats every
    /// 500 ms and accepts 1.5 s of silence, reaped every 250 ms: a silent cut is caught in about
    /// 2.5–3 s (measured on 1.5.74: 3.9 s with a 2 s pause). Settings in <c>hocon/coordinator.conf</c> override these.
    /// </summary>
    public static Config CoordinatorConfig(RemoteEndpoint remote) => ConfigurationFactory.ParseString($$"""
        akka {
          actor {
            provider = remote
            guardian-supervisor-strategy = "{{typeof(KillProofGuardianStrategy).FullName}}, {{typeof(KillProofGuardianStrategy).Assembly.GetName().Name}}"
          }
          remote {
            dot-netty.tcp {
              hostname = "{{remote.Host}}"
              port = {{remote.Port}}
            }
            retry-gate-closed-for = 500ms
            untrusted-mode = on
            trusted-selection-paths = ["/user/{{LockManager.Name}}"]
            watch-failure-detector {
              heartbeat-interval = 500ms
              acceptable-heartbeat-pause = 1500ms
              unreachable-nodes-reaper-interval = 250ms
            }
          }
        }
        """).WithFallback(ConfigurationFactory.ParseString(LayerLockSerializer.Hocon));

    public static void MapAgentLink(this WebApplication app) =>
        app.MapGet(Path, (ActorSystem system) =>
        {
            var address = ((ExtendedActorSystem)system).Provider.DefaultAddress;
            return Results.Json(new AgentLinkBody(address.ToString(), $"{address}/user/{LockManager.Name}"), AgentLinkJsonContext.Default.AgentLinkBody);
        });
}

/// <summary>The answer of <c>GET /v1/agent-link</c>.</summary>
internal sealed record AgentLinkBody(string Address, string LockManager);

[System.Text.Json.Serialization.JsonSourceGenerationOptions(PropertyNamingPolicy = System.Text.Json.Serialization.JsonKnownNamingPolicy.SnakeCaseLower)]
[System.Text.Json.Serialization.JsonSerializable(typeof(AgentLinkBody))]
internal sealed partial class AgentLinkJsonContext : System.Text.Json.Serialization.JsonSerializerContext;
