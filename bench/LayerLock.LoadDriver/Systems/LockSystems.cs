using LayerLock.LoadDriver.Systems.Etcd;
using LayerLock.LoadDriver.Systems.LayerLock;
using LayerLock.LoadDriver.Systems.Redis;
using Microsoft.Extensions.Logging;

namespace LayerLock.LoadDriver.Systems;

/// <summary>The systems the driver knows, by their command-line name.</summary>
public static class LockSystems
{
    public const string LayerLockRemote = "layerlock-remote";
    public const string LayerLockHttp = "layerlock-http";
    public const string Etcd = "etcd";
    public const string Redis = "redis";

    public static IReadOnlyList<string> Names { get; } = [LayerLockRemote, LayerLockHttp, Etcd, Redis];

    /// <exception cref="ArgumentException">Unknown system or an endpoint that does not fit it.</exception>
    public static ILockSystem Create(string name, LockSystemOptions options, ILogger logger) => name switch
    {
        LayerLockRemote => new LayerLockRemoteSystem(HttpEndpoint(options.Endpoint), options.Wait, logger),
        LayerLockHttp => new LayerLockHttpSystem(HttpEndpoint(options.Endpoint), options.Wait, options.Ttl, options.ReleaseOnDisconnect),
        Etcd => new EtcdSystem(HttpEndpoint(options.Endpoint), options.Ttl),
        Redis => new RedisSystem(HostPort(options.Endpoint), options.Ttl, options.RetryInterval, options.Wait),
        _ => throw new ArgumentException($"unknown system '{name}'; valid: {string.Join(", ", Names)}"),
    };

    /// <summary><c>host:port</c> or an http(s) URL, as a base URL.</summary>
    public static Uri HttpEndpoint(string endpoint)
    {
        var text = endpoint.Contains("://", StringComparison.Ordinal) ? endpoint : $"http://{endpoint}";
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps) || uri.AbsolutePath != "/")
        {
            throw new ArgumentException($"endpoint '{endpoint}' must be host:port or an http(s) base URL such as http://127.0.0.1:18090");
        }

        return uri;
    }

    /// <summary><c>host:port</c> or <c>redis://host:port</c>.</summary>
    public static (string Host, int Port) HostPort(string endpoint)
    {
        var text = endpoint.StartsWith("redis://", StringComparison.Ordinal) ? endpoint["redis://".Length..].TrimEnd('/') : endpoint;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text[(colon + 1)..], out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"endpoint '{endpoint}' must be host:port (port 1-65535), e.g. 127.0.0.1:16379");
        }

        return (text[..colon], port);
    }
}
