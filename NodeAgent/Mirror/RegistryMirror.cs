using System.Collections.Concurrent;
using System.Text.RegularExpressions;
using Akka.Hosting;
using LayerLock.NodeAgent.Containerd;
using LayerLock.NodeAgent.Coordination;
using LayerLock.NodeAgent.Hosting;
using LayerLock.NodeAgent.RefCounts;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>
/// The localhost pull-through registry mirror that containerd reaches through <c>--hosts-dir</c>.
/// Manifests and config blobs pass straight through; a layer blob is downloaded only under its
/// lock: skip decision → lock → stream from upstream to containerd while checking sha256 and
/// size → unlock with the outcome. One transfer per digest on this node: a second request for a
/// layer already in flight waits for it and is then served from the node's own content store.
/// </summary>
public sealed partial class RegistryMirror
{
    private const int MaxManifestBytes = 4 * 1024 * 1024;
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    private readonly AgentSettings _settings;
    private readonly HttpClient _upstream;
    private readonly HttpClient _peers;
    private readonly CoordinatorLink _coordinator;
    private readonly IRequiredActor<RefCountActor> _refCounts;
    private readonly SkipDecisionBatcher _skipDecisions;
    private readonly CtrRunner _ctr;
    private readonly MirrorLog _log;
    private readonly string _userAgent;
    private readonly ConcurrentDictionary<string, Task<bool>> _inFlight = new(StringComparer.Ordinal);

    internal RegistryMirror(
        AgentSettings settings,
        HttpClient upstream,
        HttpClient peers,
        CoordinatorLink coordinator,
        IRequiredActor<RefCountActor> refCounts,
        CtrRunner ctr,
        LayerCatalog catalog,
        TransferBoard board,
        ILogger logger,
        string version)
    {
        _settings = settings;
        _upstream = upstream;
        _peers = peers;
        _coordinator = coordinator;
        _refCounts = refCounts;
        _skipDecisions = new SkipDecisionBatcher(refCounts, AskTimeout);
        _ctr = ctr;
        Catalog = catalog;
        Board = board;
        _log = new MirrorLog(logger);
        _userAgent = $"layerlock-agent/{version} (node={settings.Node})";
        CleanSpool();
        if (settings.Faults.Any)
        {
            _log.FaultsEnabled(settings.Faults.FailLayer, settings.Faults.FailAfterBytes, settings.Faults.HoldLayer, (long)settings.Faults.Hold.TotalMilliseconds);
        }
    }

    public LayerCatalog Catalog { get; }

    public TransferBoard Board { get; }

    /// <summary>Maps <c>/r/{host}/v2/…</c> (GET and HEAD) on the mirror's port.</summary>
    public void Map(WebApplication app, int port)
    {
        app.MapMethods("/r/{host}/v2/{**path}", ["GET", "HEAD"], (HttpContext context, string host, string? path) => HandleAsync(context, host, path ?? string.Empty))
            .RequireHost($"*:{port}");
    }

    private async Task HandleAsync(HttpContext context, string host, string path)
    {
        var url = UpstreamUrl(host, path, context.Request.QueryString);
        var blob = BlobPath().Match(path);
        if (blob.Success && HttpMethods.IsGet(context.Request.Method) && Catalog.IsLayer(blob.Groups["digest"].Value))
        {
            await ServeLayerAsync(context, blob.Groups["digest"].Value, url);
            return;
        }

        var manifest = ManifestPath().Match(path);
        await PassThroughAsync(context, url, manifest.Success ? ($"{host}/{manifest.Groups["repo"].Value}", manifest.Groups["reference"].Value) : null);
    }

    private Uri UpstreamUrl(string host, string path, QueryString query)
    {
        var scheme = _settings.PlainHttpHosts.Contains(host) ? "http" : "https";

        // containerd adds ?ns=<host> for mirrors; the registry itself must not see it.
        var forwarded = string.Join('&', (query.Value ?? string.Empty).TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries)
            .Where(p => !p.StartsWith("ns=", StringComparison.Ordinal)));
        return new Uri($"{scheme}://{ImageReference.ApiHost(host)}/v2/{path}{(forwarded.Length > 0 ? "?" + forwarded : string.Empty)}");
    }

    private HttpRequestMessage UpstreamRequest(HttpContext context, HttpMethod method, Uri url, bool forwardRange)
    {
        var request = new HttpRequestMessage(method, url);
        foreach (var name in new[] { "Accept", "Authorization", "If-None-Match", "If-Modified-Since" })
        {
            if (context.Request.Headers.TryGetValue(name, out var values))
            {
                request.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }
        }

        if (forwardRange && context.Request.Headers.TryGetValue("Range", out var range))
        {
            request.Headers.TryAddWithoutValidation("Range", (IEnumerable<string>)range!);
        }

        request.Headers.TryAddWithoutValidation("User-Agent", _userAgent);
        return request;
    }

    private static void CopyResponseHeaders(HttpResponseMessage from, HttpResponse to)
    {
        foreach (var name in new[] { "Docker-Content-Digest", "Docker-Distribution-Api-Version", "WWW-Authenticate", "ETag", "Accept-Ranges", "Location" })
        {
            if (from.Headers.TryGetValues(name, out var values))
            {
                to.Headers[name] = values.ToArray();
            }
        }

        foreach (var name in new[] { "Content-Type", "Content-Length", "Content-Range" })
        {
            if (from.Content.Headers.TryGetValues(name, out var values))
            {
                to.Headers[name] = values.ToArray();
            }
        }
    }

    [GeneratedRegex("^(?<repo>.+)/blobs/(?<digest>sha256:[a-f0-9]{64})$")]
    private static partial Regex BlobPath();

    [GeneratedRegex("^(?<repo>.+)/manifests/(?<reference>[^/]+)$")]
    private static partial Regex ManifestPath();
}
