using System.Globalization;
using Akka.Configuration;
using LayerLock.Hosting.Configuration;
using LayerLock.Messages.Serialization;

namespace LayerLock.NodeAgent.Coordination;

/// <summary>
/// The agent's link settings, validated: the Coordinator's URL (the one address users give), where
/// its lock manager is (learned from that URL unless <c>layerlock.agent.lock-manager</c> names it),
/// the client's timings, and the <c>akka { }</c> settings of the link's ActorSystem.
/// </summary>
/// <param name="TrustedCertificate">A PEM certificate (the Coordinator's own, or its CA) trusted for an https:// Coordinator; null = the system's trust.</param>
public sealed record AgentLinkSettings(Uri Coordinator, string? LockManagerPath, LockClientOptions Client, string? TrustedCertificate, Config Akka)
{
    /// <summary>TLS with mutual authentication on the Akka.Remote link (<c>layerlock.agent.remote-tls</c>); null = plain TCP.</summary>
    public RemoteTls? RemoteTls { get; init; }

    /// <summary>
    /// The agent's remoting defaults, under whatever the files, environment and flags set in
    /// <c>akka { }</c>: remote provider on 127.0.0.1, any free port, our serializer; Akka's own log
    /// into the agent's Serilog sinks (never onto standard output, which the <c>lock</c> verb
    /// speaks on). A lost association is retried after 500 ms, not Akka's 5 s gate, so a
    /// restarted Coordinator is registered with well inside its recovery grace.
    /// </summary>
    public static Config Defaults { get; } = ConfigurationFactory.ParseString("""
        akka {
          loggers = ["Akka.Logger.Serilog.SerilogLogger, Akka.Logger.Serilog"]
          stdout-loglevel = OFF
          actor.provider = remote
          remote {
            dot-netty.tcp {
              hostname = "127.0.0.1"
              port = 0
            }
            retry-gate-closed-for = 500ms
          }
        }
        """).WithFallback(ConfigurationFactory.ParseString(LayerLockSerializer.Hocon));

    /// <exception cref="FormatException">A setting is malformed; the message names it.</exception>
    public static AgentLinkSettings From(IConfiguration configuration, string node, Uri coordinator)
    {
        const string Section = "layerlock:agent";
        var agent = configuration.GetSection(Section);
        var jitterText = agent["reconnect:jitter"] ?? "0.2";
        if (!double.TryParse(jitterText, NumberStyles.Float, CultureInfo.InvariantCulture, out var jitter) || jitter is < 0 or > 1)
        {
            throw new FormatException($"{Section}:reconnect:jitter = '{jitterText}' must be a number from 0 to 1");
        }

        var lockManager = agent["lock-manager"] is { Length: > 0 } path ? path : null;
        if (lockManager is not null && !(lockManager.StartsWith("akka.tcp://", StringComparison.Ordinal) || lockManager.StartsWith("akka.ssl.tcp://", StringComparison.Ordinal)))
        {
            throw new FormatException($"{Section}:lock-manager = '{lockManager}' must be an actor path, e.g. akka.tcp://layerlock@127.0.0.1:8081/user/lock-manager (or empty to ask the coordinator's URL)");
        }

        var client = new LockClientOptions(
            node,
            lockManager ?? string.Empty,
            Positive(agent, "reconnect:initial", TimeSpan.FromMilliseconds(200)),
            Positive(agent, "reconnect:max", TimeSpan.FromSeconds(10)),
            jitter)
        {
            LeaseGrace = Positive(agent, "lease-grace", TimeSpan.FromSeconds(4)),
            HeartbeatInterval = Positive(agent, "link:heartbeat-interval", TimeSpan.FromSeconds(1)),
            LinkTimeout = Positive(agent, "link:timeout", TimeSpan.FromSeconds(3)),
            AuthToken = agent["auth:token"] is { Length: > 0 } token ? token : null,
            CoordinatorName = coordinator.ToString(),
            PeerUrl = PeerUrl(agent, RemoteTls.From(configuration, Section) is not null),
        };
        var trusted = agent["tls:ca"] is { Length: > 0 } ca
            ? (File.Exists(ca) ? ca : throw new FormatException($"{Section}:tls:ca: {ca} does not exist"))
            : null;
        return new AgentLinkSettings(coordinator, lockManager, client, trusted, AkkaSettings.ToAkkaConfig(configuration).WithFallback(Defaults))
        {
            RemoteTls = RemoteTls.From(configuration, Section),
        };
    }

    /// <summary><c>peers.advertise</c>, or <c>http://</c> (<c>https://</c> with <c>remote-tls</c>) + <c>peers.listen</c>; null when the agent serves no peers.</summary>
    /// <exception cref="FormatException">advertise is not an http(s) URL, or listen binds every address and advertise is empty.</exception>
    private static string? PeerUrl(IConfigurationSection agent, bool tls)
    {
        if (agent["peers:advertise"] is { Length: > 0 } advertise)
        {
            return Uri.TryCreate(advertise, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
                ? uri.GetLeftPart(UriPartial.Authority)
                : throw new FormatException($"layerlock:agent:peers:advertise = '{advertise}' must be an http:// or https:// URL other nodes reach this agent at");
        }

        if (agent["peers:listen"] is not { Length: > 0 })
        {
            return null;
        }

        var listen = Hosting.AgentSettings.Endpoint(agent, "peers:listen", string.Empty);
        return listen.Address.Equals(System.Net.IPAddress.Any) || listen.Address.Equals(System.Net.IPAddress.IPv6Any)
            ? throw new FormatException($"layerlock:agent:peers:listen = '{listen}' binds every address: set peers.advertise to the URL other nodes reach this agent at")
            : $"{(tls ? "https" : "http")}://{listen}";
    }

    private static TimeSpan Positive(IConfigurationSection section, string key, TimeSpan fallback) =>
        section.GetDuration(key, fallback) is var value && value > TimeSpan.Zero
            ? value
            : throw new FormatException($"layerlock:agent:{key} must be above zero");
}
