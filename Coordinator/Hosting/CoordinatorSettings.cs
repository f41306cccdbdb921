using LayerLock.Coordinator.Dashboard;
using LayerLock.Coordinator.Locks;
using LayerLock.Hosting;
using LayerLock.Hosting.Configuration;

namespace LayerLock.Coordinator.Hosting;

/// <summary>The <c>layerlock.coordinator</c> block, validated at start.</summary>
public sealed record CoordinatorSettings(
    ListenAddress Addr,
    TimeSpan RecoveryGrace,
    string StateDirectory,
    TimeSpan HttpDefaultTtl,
    TimeSpan HttpMaxWait,
    long HttpMaxBody)
{
    /// <summary>The shared secret clients must present; null = no authentication.</summary>
    public string? AuthToken { get; init; }

    /// <summary>Revoke a holder whose transfer reports no progress for this long; zero = off.</summary>
    public TimeSpan StallTimeout { get; init; }

    /// <summary>The trickling-holder rule (<c>stall.min-rate</c>, <c>stall.window</c>); on by default: 8 KiB/s over 30 s.</summary>
    public RateFloor RateFloor { get; init; } = new(RateFloor.DefaultBytesPerSecond, RateFloor.DefaultWindow);

    /// <summary>The most peer transfers one node serves at a time (<c>peers.max-uploads</c>); default 4.</summary>
    public int PeersMaxUploads { get; init; } = 4;

    /// <summary>How long a live page's stream may write nothing while frames wait for it before it is cut off (<c>page.stall-timeout</c>); default 20 s, at least 1 s.</summary>
    public TimeSpan PageStallTimeout { get; init; } = DashboardFeed.DefaultStallTimeout;

    /// <summary>How long an idle key's lock actor lingers before it is stopped.</summary>
    public TimeSpan IdleLinger { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Where Akka.Remote listens for agents (<c>akka.remote.dot-netty.tcp.hostname/port</c>); default 127.0.0.1:8081, port 0 = any free port.</summary>
    public RemoteEndpoint Remote { get; init; } = new("127.0.0.1", 8081);

    /// <summary>TLS with mutual authentication on the Akka.Remote agent link (<c>remote-tls</c>); null = plain TCP.</summary>
    public RemoteTls? RemoteTls { get; init; }

    /// <summary>PEM certificate and key files; both null = plain HTTP.</summary>
    public (string Certificate, string Key)? Tls { get; init; }

    public const string Section = "layerlock:coordinator";

    /// <summary>
    /// Environment variables with names of their own and the setting each sets. They override
    /// the HOCON file; the generic form (<c>layerlock__coordinator__addr=…</c>) and flags override them.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, string> EnvironmentVariables = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["LAYERLOCK_ADDR"] = $"{Section}:addr",
        ["LAYERLOCK_TOKEN"] = $"{Section}:auth:token",
    };

    /// <param name="configuration">The full configuration (HOCON, environment, flags).</param>
    /// <param name="defaults">Where state goes when <c>state-dir</c> is empty: <see cref="DefaultDirectories.Coordinator"/>.</param>
    /// <exception cref="FormatException">A value is malformed or out of range; the message names the setting.</exception>
    public static CoordinatorSettings From(IConfiguration configuration, DefaultDirectories defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        var section = configuration.GetSection(Section);
        var grace = section.GetDuration("recovery:grace", TimeSpan.FromSeconds(4));
        if (grace < TimeSpan.Zero)
        {
            throw new FormatException($"{Section}:recovery:grace must not be negative");
        }

        return new CoordinatorSettings(
            ListenAddress.Parse(section["addr"] is { Length: > 0 } addr ? addr : "127.0.0.1:8080", $"{Section}:addr"),
            grace,
            section["state-dir"] is { Length: > 0 } state ? state : defaults.Coordinator,
            Positive(section, "http:default-ttl", section.GetDuration("http:default-ttl", TimeSpan.FromSeconds(30))),
            Positive(section, "http:max-wait", section.GetDuration("http:max-wait", TimeSpan.FromMinutes(10))),
            Bytes(section, "http:max-body", section.GetSize("http:max-body", 64 * 1024)))
        {
            AuthToken = section["auth:token"] switch
            {
                null or "" => null,
                var token when token.Trim() != token => throw new FormatException($"{Section}:auth:token must not begin or end with white space (an Authorization header cannot carry it)"),
                var token => token,
            },
            Remote = RemoteEndpoint.From(configuration),
            Tls = TlsFiles(section),
            RemoteTls = RemoteTls.From(configuration, Section),
            StallTimeout = section.GetDuration("stall:timeout", TimeSpan.Zero) is var stall && stall >= TimeSpan.Zero
                ? stall
                : throw new FormatException($"{Section}:stall:timeout must not be negative"),
            RateFloor = RateFloorFrom(section),
            PeersMaxUploads = section["peers:max-uploads"] is { Length: > 0 } uploads
                ? int.TryParse(uploads, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n is >= 1 and <= 1000
                    ? n
                    : throw new FormatException($"{Section}:peers:max-uploads = '{uploads}' must be a whole number from 1 to 1000")
                : 4,
            PageStallTimeout = section.GetDuration("page:stall-timeout", DashboardFeed.DefaultStallTimeout) is var pageStall && pageStall >= TimeSpan.FromSeconds(1)
                ? pageStall
                : throw new FormatException($"{Section}:page:stall-timeout must be at least 1s (a page's writes wait on the kernel for up to a second)"),
            IdleLinger = section.GetDuration("idle-linger", TimeSpan.FromSeconds(1)) is var linger && linger >= TimeSpan.Zero
                ? linger
                : throw new FormatException($"{Section}:idle-linger must not be negative"),
        };
    }

    private static RateFloor RateFloorFrom(IConfigurationSection section)
    {
        var rate = section.GetSize("stall:min-rate", RateFloor.DefaultBytesPerSecond);
        var window = section.GetDuration("stall:window", RateFloor.DefaultWindow);
        if (rate < 0)
        {
            throw new FormatException($"{Section}:stall:min-rate must not be negative (bytes per second, e.g. 8KiB; 0 = off)");
        }

        if (rate > 0 && window <= TimeSpan.Zero)
        {
            throw new FormatException($"{Section}:stall:window must be above zero while stall.min-rate is on");
        }

        return rate == 0 ? RateFloor.Off : new RateFloor(rate, window);
    }

    private static (string, string)? TlsFiles(IConfigurationSection section)
    {
        var (certificate, key) = (section["tls:certificate"], section["tls:key"]);
        if (string.IsNullOrEmpty(certificate) && string.IsNullOrEmpty(key))
        {
            return null;
        }

        if (string.IsNullOrEmpty(certificate) || string.IsNullOrEmpty(key))
        {
            throw new FormatException($"{Section}:tls needs both certificate and key (PEM files)");
        }

        foreach (var file in new[] { certificate, key })
        {
            if (!File.Exists(file))
            {
                throw new FormatException($"{Section}:tls: {file} does not exist");
            }
        }

        return (certificate, key);
    }

    private static TimeSpan Positive(IConfigurationSection section, string key, TimeSpan value) =>
        value > TimeSpan.Zero ? value : throw new FormatException($"{Section}:{key} must be above zero");

    private static long Bytes(IConfigurationSection section, string key, long value) =>
        value is >= 1024 and <= 16 * 1024 * 1024
            ? value
            : throw new FormatException($"{Section}:{key} must be from 1KiB to 16MiB");
}

/// <summary>The Akka.Remote endpoint: <c>akka.remote.dot-netty.tcp.hostname</c> and <c>port</c>.</summary>
public sealed record RemoteEndpoint(string Host, int Port)
{
    /// <exception cref="FormatException">The port is not a number from 0 to 65535.</exception>
    public static RemoteEndpoint From(IConfiguration configuration)
    {
        var tcp = configuration.GetSection("akka:remote:dot-netty:tcp");
        var host = tcp["hostname"] is { Length: > 0 } h ? h : "127.0.0.1";
        var portText = tcp["port"] ?? "8081";
        return int.TryParse(portText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) && port <= 65535
            ? new RemoteEndpoint(host, port)
            : throw new FormatException($"akka.remote.dot-netty.tcp.port = '{portText}' must be a number from 0 to 65535");
    }
}
