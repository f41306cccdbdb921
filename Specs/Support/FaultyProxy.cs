using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LayerLock.Specs.Support;

/// <summary>
/// A misbehaving HTTP proxy of our own on 127.0.0.1 in front of a real registry (or an agent's peer
/// endpoint): it forwards every request (method, path, query, Range, Accept, Authorization) and
/// streams the answer back, unless the spec's rule names a fault for that request — an error status
/// (with <c>Retry-After</c>), a connection cut after N bytes, a trickle at a fixed rate after N
/// bytes, or a flipped byte. Every request is recorded with the fault it got.
/// </summary>
internal sealed partial class FaultyProxy : IAsyncDisposable
{
    private const int ChunkBytes = 16 * 1024;
    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly Uri _target;
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.Ordinal);

    private FaultyProxy(WebApplication app, int port, Uri target, int? receiveBufferBytes)
    {
        _app = app;
        _target = target;
        var handler = new SocketsHttpHandler { AllowAutoRedirect = false, AutomaticDecompression = System.Net.DecompressionMethods.None };
        if (receiveBufferBytes is { } window)
        {
            // A fixed, small receive buffer (no autotuning): what the target has sent is mostly
            // what the proxy has forwarded, so a target killed mid-body has not sent the rest.
            handler.ConnectCallback = async (context, cancel) =>
            {
                var socket = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp) { ReceiveBufferSize = window, NoDelay = true };
                try
                {
                    await socket.ConnectAsync(context.DnsEndPoint, cancel);
                    return new System.Net.Sockets.NetworkStream(socket, ownsSocket: true);
                }
                catch
                {
                    socket.Dispose();
                    throw;
                }
            };
        }

        _upstream = new HttpClient(handler)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        Host = $"127.0.0.1:{port}";
    }

    /// <summary>"127.0.0.1:PORT": use it in image references instead of the registry's host.</summary>
    public string Host { get; }

    /// <summary>Decides a request's fault, or null to forward it untouched. Set before the first request.</summary>
    public Func<ProxiedRequest, ProxyFault?> Rule { get; set; } = _ => null;

    /// <summary>Called after each chunk of a body is forwarded (on the request's thread; keep it short).</summary>
    public Action<ProxiedRequest> Forwarded { get; set; } = _ => { };

    /// <summary>
    /// When set, every <c>/v2/</c> request must carry <c>Authorization: Bearer</c> this token, or it is
    /// answered 401 with a Docker-style <c>WWW-Authenticate: Bearer realm=…</c> challenge whose realm
    /// (<c>/token</c> on this proxy) hands the token out, as Docker Hub's and ECR's token services do.
    /// </summary>
    public string? BearerToken { get; set; }

    /// <summary>Every request so far, in arrival order.</summary>
    public ConcurrentQueue<ProxiedRequest> Requests { get; } = new();

    /// <summary>The GETs of layer or config blob <paramref name="digest"/> so far.</summary>
    public IReadOnlyList<ProxiedRequest> BlobGets(string digest) =>
        [.. Requests.Where(r => r.Method == "GET" && r.Digest == digest)];

    /// <summary>Starts forwarding to <paramref name="registryHost"/> ("127.0.0.1:PORT", plain HTTP).</summary>
    /// <param name="receiveBufferBytes">The proxy's receive buffer towards the target (SO_RCVBUF); null = the system's autotuned one (up to tcp_rmem's maximum, 32 MiB here).</param>
    public static async Task<FaultyProxy> StartAsync(string registryHost, int? receiveBufferBytes = null)
    {
        var port = ChildProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
        var app = builder.Build();
        var proxy = new FaultyProxy(app, port, new Uri($"http://{registryHost}"), receiveBufferBytes);
        app.Run(proxy.ForwardAsync);
        await app.StartAsync();
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private async Task ForwardAsync(HttpContext context)
    {
        var path = context.Request.Path.Value ?? "/";
        var blob = BlobPath().Match(path);
        var digest = blob.Success ? blob.Groups["digest"].Value : null;
        var method = context.Request.Method;
        if (path == "/token")
        {
            await context.Response.WriteAsJsonAsync(new { token = BearerToken, access_token = BearerToken, expires_in = 300 });
            return;
        }

        if (BearerToken is { } token && path.StartsWith("/v2/", StringComparison.Ordinal) && context.Request.Headers.Authorization != $"Bearer {token}")
        {
            Requests.Enqueue(new ProxiedRequest(method, path, null, null, 0) { Fault = ProxyFault.Answer(401) });
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = $"Bearer realm=\"http://{Host}/token\",service=\"{Host}\",scope=\"repository:pull\"";
            return;
        }

        var attempt = method == "GET" && digest is not null ? _attempts.AddOrUpdate(digest, 1, (_, n) => n + 1) : 0;
        var request = new ProxiedRequest(method, path, digest, context.Request.Headers.Range.ToString() is { Length: > 0 } range ? range : null, attempt)
        {
            Authorized = context.Request.Headers.Authorization.Count > 0,
        };
        var fault = Rule(request);
        var seen = request with { Fault = fault };
        Requests.Enqueue(seen);

        if (fault is { Status: { } status })
        {
            context.Response.StatusCode = status;
            if (fault.RetryAfter is { } retryAfter)
            {
                context.Response.Headers.RetryAfter = ((int)retryAfter.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            await context.Response.WriteAsync($"{{\"errors\":[{{\"code\":\"TOOMANYREQUESTS\",\"message\":\"fault injected by the spec's proxy\"}}]}}");
            return;
        }

        if (fault?.RedirectTo is { } target)
        {
            context.Response.StatusCode = StatusCodes.Status307TemporaryRedirect;
            context.Response.Headers.Location = new Uri(target, path + context.Request.QueryString).ToString();
            return;
        }

        if (fault?.Html == true)
        {
            // A captive portal or a CDN error page, served as if it were the blob.
            context.Response.ContentType = "text/html";
            await context.Response.WriteAsync("<!DOCTYPE html><html><head><title>Sign in</title></head><body>Please sign in to continue.</body></html>");
            return;
        }

        using var forward = new HttpRequestMessage(new HttpMethod(method), new Uri(_target, path + context.Request.QueryString));
        foreach (var name in new[] { "Accept", "Authorization", "Range", "User-Agent" })
        {
            if (context.Request.Headers.TryGetValue(name, out var values))
            {
                forward.Headers.TryAddWithoutValidation(name, (IEnumerable<string>)values!);
            }
        }

        using var response = await _upstream.SendAsync(forward, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        foreach (var header in response.Headers.Concat(response.Content.Headers))
        {
            if (header.Key is not ("Transfer-Encoding" or "Connection" or "Keep-Alive") && !(fault?.Chunked == true && header.Key == "Content-Length"))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        await using var body = await response.Content.ReadAsStreamAsync(context.RequestAborted);
        var buffer = new byte[ChunkBytes];
        long sent = 0;
        var trickle = Stopwatch.StartNew();
        long trickled = 0;
        while (true)
        {
            var want = buffer.Length;
            if (fault?.CutAfterBytes is { } cut)
            {
                if (sent >= cut)
                {
                    seen.BytesSent = sent;
                    await context.Response.Body.FlushAsync(context.RequestAborted);
                    context.Abort();
                    return;
                }

                want = (int)Math.Min(want, cut - sent);
            }

            var trickling = fault?.TrickleAfterBytes is { } after && sent >= after;
            if (trickling)
            {
                // Small writes (about 20 a second) so the rate holds over short spans too.
                want = Math.Min(want, Math.Max(256, fault!.BytesPerSecond / 20));
            }
            else if (fault?.TrickleAfterBytes is { } before)
            {
                want = (int)Math.Min(want, before - sent);
            }

            var read = await body.ReadAsync(buffer.AsMemory(0, want), context.RequestAborted);
            if (read == 0)
            {
                seen.BytesSent = sent;
                return;
            }

            if (fault?.CorruptAt is { } at && at >= sent && at < sent + read)
            {
                buffer[at - sent] ^= 0xFF;
            }

            if (trickling)
            {
                if (trickled == 0)
                {
                    trickle.Restart();
                }

                // Hold the average at the fault's rate: the n-th byte leaves no sooner than n / rate.
                trickled += read;
                var due = TimeSpan.FromSeconds((double)trickled / fault!.BytesPerSecond);
                if (due > trickle.Elapsed)
                {
                    await Task.Delay(due - trickle.Elapsed, context.RequestAborted);
                }
            }

            await context.Response.Body.WriteAsync(buffer.AsMemory(0, read), context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            sent += read;
            seen.BytesSent = sent;
            Forwarded(seen);
        }
    }

    // A registry's blob (/v2/REPO/blobs/D) or an agent's peer endpoint's (/v1/blobs/D).
    [GeneratedRegex("^/v(2/(?<repo>.+)|1)/blobs/(?<digest>sha256:[a-f0-9]{64})$")]
    private static partial Regex BlobPath();
}

/// <summary>One request the proxy saw: <paramref name="Attempt"/> is the n-th GET of that blob (0 for others).</summary>
internal sealed record ProxiedRequest(string Method, string Path, string? Digest, string? Range, int Attempt)
{
    /// <summary>The fault the request got, or null when it was forwarded untouched.</summary>
    public ProxyFault? Fault { get; init; }

    /// <summary>When the proxy got the request (a <see cref="Stopwatch"/> timestamp).</summary>
    public long At { get; } = Stopwatch.GetTimestamp();

    /// <summary>The request carried an <c>Authorization</c> header.</summary>
    public bool Authorized { get; init; }

    /// <summary>Body bytes sent back so far.</summary>
    public long BytesSent { get; set; }
}

/// <summary>What the proxy does to one request instead of forwarding it faithfully.</summary>
internal sealed record ProxyFault
{
    /// <summary>Answer this status at once (with <see cref="RetryAfter"/> if set), never asking the registry.</summary>
    public int? Status { get; init; }

    public TimeSpan? RetryAfter { get; init; }

    /// <summary>Forward this many body bytes, then cut the connection.</summary>
    public long? CutAfterBytes { get; init; }

    /// <summary>Forward this many body bytes at full speed, then the rest at <see cref="BytesPerSecond"/>.</summary>
    public long? TrickleAfterBytes { get; init; }

    public int BytesPerSecond { get; init; } = 1024;

    /// <summary>Answer 307 to the same path on this base address (a blob host or CDN) instead.</summary>
    public Uri? RedirectTo { get; init; }

    /// <summary>Answer 200 with an HTML page instead of the blob.</summary>
    public bool Html { get; init; }

    /// <summary>Flip every bit of the body byte at this offset (same size, wrong digest).</summary>
    public long? CorruptAt { get; init; }

    /// <summary>Forward the body without its <c>Content-Length</c> (chunked).</summary>
    public bool Chunked { get; init; }

    public static ProxyFault Answer(int status, TimeSpan? retryAfter = null) => new() { Status = status, RetryAfter = retryAfter };

    public static ProxyFault Cut(long afterBytes) => new() { CutAfterBytes = afterBytes };

    public static ProxyFault Corrupt(long at) => new() { CorruptAt = at };

    public static ProxyFault Trickle(long afterBytes, int bytesPerSecond) => new() { TrickleAfterBytes = afterBytes, BytesPerSecond = bytesPerSecond };

    public static ProxyFault Redirect(string host) => new() { RedirectTo = new Uri($"http://{host}") };
}
