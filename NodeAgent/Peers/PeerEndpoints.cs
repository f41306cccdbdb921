using System.Diagnostics;
using System.Text.RegularExpressions;
using Akka.Actor;
using Akka.Hosting;
using LayerLock.Hosting;
using LayerLock.NodeAgent.Containerd;
using LayerLock.NodeAgent.Mirror;
using LayerLock.NodeAgent.RefCounts;

namespace LayerLock.NodeAgent.Peers;

/// <summary>
/// The agent's peer endpoint (issue 12): other nodes fetch the layers this node has from it, by
/// digest only — <c>GET</c> or <c>HEAD /v1/blobs/sha256:&lt;64 hex&gt;</c> on <c>peers.listen</c>.
/// It serves a digest only if it is a layer of this node (its reference count is above zero, or a
/// manifest that passed the mirror listed it), and only what containerd's content store holds,
/// streamed with <c>ctr content get</c> — never a manifest or a config, never a listing, never a
/// path. With <c>auth.token</c> set, a request must carry <c>Authorization: Bearer &lt;token&gt;</c>.
/// Answers: 200 with the blob; 400 for anything that is not a sha256 digest; 401 without the token;
/// 404 when this node does not serve that layer (or containerd has not committed it within 3 s);
/// 503 when it already serves <c>peers.max-serves</c> requests (default 8), or containerd does not answer.
/// </summary>
internal static partial class PeerEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);
    // A layer just released may still be committing; longer than that, it is gone (and the fetcher's
    // silence limit, two peers.window, must not run out first: 2 × 10 s by default).
    private static readonly TimeSpan CommitWait = TimeSpan.FromSeconds(3);

    public static void MapPeers(this WebApplication app, int port, int maxServing, CtrRunner ctr, IRequiredActor<RefCountActor> refCounts, LayerCatalog catalog, string? token, ILogger logger)
    {
        var log = new PeerLog(logger);
        var secret = token is null ? null : System.Text.Encoding.UTF8.GetBytes(token);
        var serving = new SemaphoreSlim(maxServing, maxServing);
        app.MapMethods("/v1/blobs/{digest}", ["GET", "HEAD"], (HttpContext context, string digest) => ServeAsync(context, digest, ctr, refCounts, catalog, secret, serving, log))
            .RequireHost($"*:{port}");
    }

    private static async Task ServeAsync(HttpContext context, string digest, CtrRunner ctr, IRequiredActor<RefCountActor> refCounts, LayerCatalog catalog, byte[]? token, SemaphoreSlim serving, PeerLog log)
    {
        var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        if (token is not null && BearerToken.Refusal(context.Request.Headers.Authorization.ToString(), token) is { } refusal)
        {
            log.Refused(digest, remote, refusal);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"layerlock-peer\"";
            return;
        }

        if (!Sha256().IsMatch(digest))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        // The Coordinator spreads peer grants (peers.max-uploads); this (peers.max-serves) bounds
        // what any caller, granted or not, can make this node do at once: no unbounded ctr runs.
        if (!serving.Wait(0))
        {
            log.Refused(digest, remote, "already serving peers.max-serves transfers");
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            context.Response.Headers.RetryAfter = "1";
            return;
        }

        try
        {
            await ServeLayerAsync(context, digest, remote, ctr, refCounts, catalog, log);
        }
        catch (Exception unavailable) when (unavailable is CtrException or TimeoutException or AskTimeoutException)
        {
            // containerd (or the refcount actor) did not answer: the caller tries elsewhere.
            log.Refused(digest, remote, $"cannot read this node's content store: {unavailable.Message}");
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            }
            else
            {
                context.Abort();
            }
        }
        finally
        {
            serving.Release();
        }
    }

    private static async Task ServeLayerAsync(HttpContext context, string digest, string remote, CtrRunner ctr, IRequiredActor<RefCountActor> refCounts, LayerCatalog catalog, PeerLog log)
    {
        var aborted = context.RequestAborted;
        var counts = await refCounts.ActorRef.Ask<RefCountSnapshot>(GetRefCounts.Instance, AskTimeout);
        if (counts.Counts.GetValueOrDefault(digest) <= 0 && !catalog.IsLayer(digest))
        {
            log.Refused(digest, remote, "not a layer of this node");
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        // A layer just released may still be committing in containerd.
        var waited = Stopwatch.StartNew();
        if (!await ctr.WaitForBlobAsync(digest, CommitWait, aborted))
        {
            log.Refused(digest, remote, "containerd does not have the blob");
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        context.Response.ContentType = "application/octet-stream";
        context.Response.Headers["Docker-Content-Digest"] = digest;
        if (catalog.SizeOf(digest) is { } size)
        {
            context.Response.ContentLength = size;
        }

        if (HttpMethods.IsHead(context.Request.Method))
        {
            return;
        }

        var counting = new CountingStream(context.Response.Body);
        await ctr.CopyBlobAsync(digest, counting, aborted);
        log.Served(digest, counting.Bytes, waited.ElapsedMilliseconds, remote);
    }

    [GeneratedRegex("^sha256:[a-f0-9]{64}$")]
    private static partial Regex Sha256();

    /// <summary>Counts what passes through to the response.</summary>
    private sealed class CountingStream(Stream inner) : Stream
    {
        public long Bytes { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush() => inner.Flush();

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count)
        {
            inner.Write(buffer, offset, count);
            Bytes += count;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await inner.WriteAsync(buffer, cancellationToken);
            Bytes += buffer.Length;
        }

        public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }
}

internal sealed partial class PeerLog(ILogger logger)
{
    [LoggerMessage(EventId = 700, EventName = "peer.served", Level = LogLevel.Information,
        Message = "peer.served {Layer} bytes {Bytes} ms {Ms} to {Remote}")]
    public partial void Served(string layer, long bytes, long ms, string remote);

    [LoggerMessage(EventId = 701, EventName = "peer.refused", Level = LogLevel.Warning,
        Message = "peer.refused {Layer} to {Remote}: {Reason}")]
    public partial void Refused(string layer, string remote, string reason);
}
