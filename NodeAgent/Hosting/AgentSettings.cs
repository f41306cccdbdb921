using System.Net;
using LayerLock.Hosting;
using LayerLock.Hosting.Configuration;
using LayerLock.NodeAgent.Coordination;

namespace LayerLock.NodeAgent.Hosting;

/// <summary>The <c>layerlock.agent</c> block, validated: every bad value stops the agent with one line naming it.</summary>
public sealed record AgentSettings(
    string Node,
    Uri Coordinator,
    string ContainerdSocket,
    string StateDirectory,
    IPEndPoint Listen,
    IPEndPoint MirrorListen,
    string CtrPath,
    string Namespace,
    IReadOnlySet<string> PlainHttpHosts,
    AgentLinkSettings Link,
    TimeSpan LockWait,
    TimeSpan CtrTimeout,
    FaultSettings Faults)
{
    public const string Section = "layerlock:agent";

    /// <summary>Where the agent serves its layers to other nodes (<c>peers.listen</c>, <c>--peer-listen</c>); null = it serves none.</summary>
    public IPEndPoint? PeerListen { get; init; }

    /// <summary>
    /// The most peer requests this agent serves at once, from any callers (<c>peers.max-serves</c>);
    /// default 8, twice the Coordinator's default <c>peers.max-uploads</c>; keep it at or above that.
    /// More get 503, and a granted fetcher then goes elsewhere.
    /// </summary>
    public int PeerMaxServes { get; init; } = 8;

    /// <summary>When a fetch from a peer counts as too slow (<c>peers.min-rate</c>, <c>peers.window</c>).</summary>
    public PeerFetchSettings PeerFetch { get; init; } = PeerFetchSettings.Default;

    /// <summary>How a layer transfer resumes after an upstream cut (<c>upstream.attempts</c>, <c>upstream.backoff</c>).</summary>
    public UpstreamRetry Upstream { get; init; } = UpstreamRetry.Default;

    /// <summary>
    /// Environment variables with names of their own (the seed's <c>NODE_ID</c>, <c>LOCK_SERVER_URL</c>,
    /// <c>CONTENTD_SOCKET</c>, and <c>LAYERLOCK_TOKEN</c>) and the setting each sets. They override the
    /// HOCON file; the generic form (<c>layerlock__agent__node=…</c>) and flags override them.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> EnvironmentVariables = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["NODE_ID"] = $"{Section}:node",
        ["LOCK_SERVER_URL"] = $"{Section}:coordinator",
        ["CONTENTD_SOCKET"] = $"{Section}:containerd",
        ["LAYERLOCK_TOKEN"] = $"{Section}:auth:token",
    };

    /// <summary>
    /// The agent's own log file names, one pair per node so that agents sharing a log folder never
    /// share a file: <c>plugin-NODE.log</c> and <c>plugin-NODE.jsonl</c> (a '/' in the node becomes '_').
    /// </summary>
    public static (string File, string JsonFile) LogFileNames(string node)
    {
        var part = DefaultDirectories.FileNamePart(node);
        return ($"plugin-{part}.log", $"plugin-{part}.jsonl");
    }

    /// <param name="configuration">The full configuration (HOCON, environment, flags).</param>
    /// <param name="defaults">Where state goes when <c>state-dir</c> is empty: <see cref="DefaultDirectories.Agent"/> of the node.</param>
    /// <exception cref="FormatException">A setting is missing or malformed; the message names it.</exception>
    public static AgentSettings From(IConfiguration configuration, DefaultDirectories defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var agent = configuration.GetSection(Section);
        var node = agent["node"] is { Length: > 0 } n
            ? n
            : throw new FormatException("the node id is required: --node NAME or NODE_ID");
        if (Messages.Locks.LockLimits.CheckNode(node) is { } badNode)
        {
            throw new FormatException($"{Section}:node: {badNode}");
        }

        var coordinator = Uri.TryCreate(agent["coordinator"], UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"{Section}:coordinator = '{agent["coordinator"]}' must be an http:// or https:// URL (LOCK_SERVER_URL)");
        return new AgentSettings(
            node,
            coordinator,
            agent["containerd"] is { Length: > 0 } socket ? socket : throw new FormatException($"{Section}:containerd (CONTENTD_SOCKET) is required"),
            agent["state-dir"] is { Length: > 0 } state ? state : defaults.Agent(node),
            Endpoint(agent, "listen", "127.0.0.1:9101"),
            Endpoint(agent, "mirror:listen", "127.0.0.1:9201"),
            agent["ctr"] is { Length: > 0 } ctr ? ctr : "ctr",
            agent["namespace"] is { Length: > 0 } ns ? ns : "default",
            PlainHttp(agent.GetSection("plain-http")),
            AgentLinkSettings.From(configuration, node, coordinator),
            agent.GetDuration("lock:wait", TimeSpan.FromMinutes(10)),
            agent.GetDuration("ctr-timeout", TimeSpan.FromMinutes(10)),
            FaultSettings.From(agent.GetSection("fault")))
        {
            Upstream = UpstreamRetry.From(agent.GetSection("upstream")),
            PeerListen = agent["peers:listen"] is { Length: > 0 } ? Endpoint(agent, "peers:listen", string.Empty) : null,
            PeerFetch = PeerFetchSettings.From(agent.GetSection("peers")),
            PeerMaxServes = agent["peers:max-serves"] is { Length: > 0 } serves
                ? int.TryParse(serves, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var most) && most is >= 1 and <= 1000
                    ? most
                    : throw new FormatException($"{Section}:peers:max-serves = '{serves}' must be a whole number from 1 to 1000")
                : 8,
        };
    }

    /// <summary>Parses <c>host:port</c>; the agent listens on loopback only unless told otherwise.</summary>
    public static IPEndPoint Endpoint(IConfigurationSection section, string key, string fallback)
    {
        var text = section[key] is { Length: > 0 } value ? value : fallback;
        return IPEndPoint.TryParse(text.Replace("localhost", "127.0.0.1", StringComparison.OrdinalIgnoreCase), out var endpoint) && endpoint.Port > 0
            ? endpoint
            : throw new FormatException($"{Section}:{key} = '{text}' must be host:port with an IP address, e.g. 127.0.0.1:9101");
    }

    // A HOCON array (plain-http = ["127.0.0.1:5000"]) or a flag (--plain-http a,b).
    private static HashSet<string> PlainHttp(IConfigurationSection section)
    {
        var hosts = section.GetChildren().Select(c => c.Value).OfType<string>().ToList();
        if (section.Value is { Length: > 0 } flag)
        {
            hosts.AddRange(flag.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return new HashSet<string>(hosts, StringComparer.OrdinalIgnoreCase);
    }
}

/// <summary>
/// The floor under a fetch from a peer (issue 12): in every <paramref name="Window"/> of the transfer
/// at least <paramref name="MinRate"/> bytes per second must arrive, and a peer that sends nothing
/// at all (not even its answer) for two windows is given up too; the layer is then asked for again
/// without that peer. Defaults: 128 KiB/s over 10 s. The floor is for dead, stuck or crawling
/// peers, not for busy ones: a loaded node on loopback was measured serving under 1 MiB/s while a
/// build ran beside it, and giving such a peer up costs a fetch from the registry, which is what
/// peers are there to save.
/// </summary>
public sealed record PeerFetchSettings(long MinRate, TimeSpan Window)
{
    public static readonly PeerFetchSettings Default = new(128 * 1024, TimeSpan.FromSeconds(10));

    /// <exception cref="FormatException">A negative rate, or a window not above zero.</exception>
    public static PeerFetchSettings From(IConfigurationSection section)
    {
        var rate = section.GetSize("min-rate", Default.MinRate);
        var window = section.GetDuration("window", Default.Window);
        return rate < 0
            ? throw new FormatException($"{AgentSettings.Section}:peers:min-rate must not be negative (bytes per second, e.g. 128KiB; 0 = no floor)")
            : window <= TimeSpan.Zero
                ? throw new FormatException($"{AgentSettings.Section}:peers:window must be above zero")
                : new PeerFetchSettings(rate, window);
    }
}

/// <summary>
/// Bounded resumption of a layer's upstream transfer: at most <paramref name="Attempts"/> GETs per
/// transfer (the first plus resumptions with <c>Range</c>), waiting <paramref name="Backoff"/> before
/// the second, doubling before each next one, never more than 8 s. Defaults: 4 attempts from 500 ms
/// (0.5 + 1 + 2 s = 3.5 s of waiting at most), well inside the Coordinator's rate-floor window (30 s),
/// so a resuming holder is not revoked for the pause.
/// </summary>
public sealed record UpstreamRetry(int Attempts, TimeSpan Backoff)
{
    /// <summary>
    /// How long the fleet leaves a registry alone after a 429 without <c>Retry-After</c>
    /// (<c>upstream.rate-limit-pause</c>); default 10 s. A <c>Retry-After</c> is always obeyed instead.
    /// </summary>
    public TimeSpan RateLimitPause { get; init; } = TimeSpan.FromSeconds(10);

    public static readonly UpstreamRetry Default = new(4, TimeSpan.FromMilliseconds(500));

    private static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(8);

    /// <summary>The wait before attempt <paramref name="attempt"/> (2 or more).</summary>
    public TimeSpan BackoffBefore(int attempt) =>
        TimeSpan.FromTicks(Math.Min(MaxBackoff.Ticks, Backoff.Ticks << Math.Min(attempt - 2, 16)));

    /// <exception cref="FormatException">attempts is not 1–20, or backoff is negative.</exception>
    public static UpstreamRetry From(IConfigurationSection section)
    {
        var attempts = section["attempts"] is { Length: > 0 } text
            ? int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 20
                ? n
                : throw new FormatException($"{AgentSettings.Section}:upstream:attempts = '{text}' must be a whole number from 1 to 20")
            : Default.Attempts;
        var backoff = section.GetDuration("backoff", Default.Backoff);
        var pause = section.GetDuration("rate-limit-pause", Default.RateLimitPause);
        return backoff < TimeSpan.Zero ? throw new FormatException($"{AgentSettings.Section}:upstream:backoff must not be negative")
            : pause < TimeSpan.Zero ? throw new FormatException($"{AgentSettings.Section}:upstream:rate-limit-pause must not be negative")
            : new UpstreamRetry(attempts, backoff) { RateLimitPause = pause };
    }
}

/// <summary>Test hooks for the scenarios; off unless configured, and loudly logged when on.</summary>
/// <param name="FailLayer">Digest whose transfer fails after <paramref name="FailAfterBytes"/> bytes.</param>
/// <param name="HoldLayer">Digest whose transfer waits <paramref name="Hold"/> while holding its lock.</param>
public sealed record FaultSettings(string? FailLayer, long FailAfterBytes, string? HoldLayer, TimeSpan Hold)
{
    public bool Any => FailLayer is not null || HoldLayer is not null;

    public static FaultSettings From(IConfigurationSection fault)
    {
        var failLayer = fault["fail-layer"] is { Length: > 0 } f ? f : null;
        var failAfter = long.TryParse(fault["fail-after-bytes"], out var bytes) ? bytes : -1;
        if (failLayer is not null && failAfter < 0)
        {
            failAfter = 0;
        }

        var holdLayer = fault["hold-layer"] is { Length: > 0 } h ? h : null;
        var holdMs = long.TryParse(fault["hold-ms"], out var ms) ? ms : 0;
        if (holdMs < 0)
        {
            throw new FormatException($"{AgentSettings.Section}:fault:hold-ms = {holdMs} must not be negative");
        }

        return new FaultSettings(failLayer, failAfter, holdLayer, TimeSpan.FromMilliseconds(holdMs));
    }

    /// <summary>True for the digest named by a hook, or for every layer when the hook says "*".</summary>
    public static bool Matches(string? pattern, string digest) => pattern is not null && (pattern == "*" || pattern == digest);
}
