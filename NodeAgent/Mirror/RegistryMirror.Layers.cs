using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using LayerLock.NodeAgent.Coordination;
using LayerLock.NodeAgent.Hosting;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>Layer blobs: the locked path.</summary>
public sealed partial class RegistryMirror
{
    private const int CopyBufferBytes = 1024 * 1024;

    // Progress goes to the board and, for stalled-holder protection, to the Coordinator: on the first
    // chunk, then at most this often while bytes move (not per chunk or per MiB: a frame each).
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan LocalCommitWait = TimeSpan.FromSeconds(10);

    private async Task ServeLayerAsync(HttpContext context, string digest, Uri url)
    {
        while (true)
        {
            if (_inFlight.TryGetValue(digest, out var running))
            {
                // Another request of this node is fetching the layer: no second download, no second lock.
                if (await running.WaitAsync(context.RequestAborted))
                {
                    await ServeLocalAsync(context, digest, "already fetched by this node");
                }
                else
                {
                    context.Response.StatusCode = StatusCodes.Status502BadGateway;
                }

                return;
            }

            var mine = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_inFlight.TryAdd(digest, mine.Task))
            {
                try
                {
                    mine.TrySetResult(await FetchLayerUnderLockAsync(context, digest, url));
                }
                finally
                {
                    mine.TrySetResult(false);
                    _inFlight.TryRemove(digest, out _);
                }

                return;
            }
        }
    }

    /// <returns>True when containerd got the whole, verified layer.</returns>
    private async Task<bool> FetchLayerUnderLockAsync(HttpContext context, string digest, Uri url)
    {
        // Concurrent layer requests share one listing of the content store (see SkipDecisionBatcher).
        var decision = await _skipDecisions.DecideAsync(digest);
        if (decision.Skip)
        {
            Board.Report(new LayerProgress(digest, LayerState.Skipped));
            return await ServeLocalAsync(context, digest, "skip decision");
        }

        LockLease lease;
        try
        {
            var queued = new InlineProgress<LockQueuedProgress>(p => Board.Report(new LayerProgress(digest, LayerState.Queued, p.Position, p.Holder)));
            lease = await _coordinator.AcquireAsync(digest, _settings.LockWait, queued, context.RequestAborted);
        }
        catch (LockNotAcquiredException notAcquired)
        {
            _log.NotAcquired(digest, notAcquired.Message);
            Board.Report(new LayerProgress(digest, LayerState.Failed, Error: $"lock not acquired: {notAcquired.Reason}"));
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return false;
        }
        catch (OperationCanceledException)
        {
            // containerd gave up while this node waited; the request left the queue with it.
            return false;
        }

        var (success, error) = await TransferAsync(context, digest, url, lease);
        try
        {
            using var timeout = new CancellationTokenSource(ReleaseTimeout);
            await _coordinator.ReleaseAsync(lease, success, error, timeout.Token);
        }
        catch (LockRefusedException refused)
        {
            _log.LostAtRelease(digest, lease.Token, refused.Message);
        }
        catch (OperationCanceledException)
        {
            _log.LostAtRelease(digest, lease.Token, "no answer to the unlock; the session's end releases it");
        }

        return success;
    }

    private async Task<(bool Success, string? Error)> TransferAsync(HttpContext context, string digest, Uri url, LockLease lease)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lease.Lost);
        var stopwatch = Stopwatch.StartNew();
        long bytes = 0;
        var headersSent = false;
        try
        {
            var faults = _settings.Faults;
            if (FaultSettings.Matches(faults.HoldLayer, digest) && faults.Hold > TimeSpan.Zero)
            {
                _log.Fault("hold", digest, $"holding the lock {faults.Hold.TotalMilliseconds:0} ms before the transfer");
                await Task.Delay(faults.Hold, cancel.Token);
            }

            using var response = await _upstream.SendAsync(UpstreamRequest(context, HttpMethod.Get, url, forwardRange: false), HttpCompletionOption.ResponseHeadersRead, cancel.Token);
            if (!response.IsSuccessStatusCode)
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                throw new TransferFailed($"upstream answered {(int)response.StatusCode} {response.ReasonPhrase}");
            }

            var total = response.Content.Headers.ContentLength;
            var (start, end) = RequestedRange(context.Request, total);
            context.Response.ContentType = "application/octet-stream";
            context.Response.Headers["Docker-Content-Digest"] = digest;
            if (start > 0 || (end is not null && total is not null && end < total - 1))
            {
                context.Response.StatusCode = StatusCodes.Status206PartialContent;
                context.Response.Headers.ContentRange = $"bytes {start}-{end ?? (total - 1)}/{(total?.ToString(CultureInfo.InvariantCulture) ?? "*")}";
                context.Response.ContentLength = ((end ?? (total - 1)) - start) + 1;
            }
            else
            {
                context.Response.ContentLength = total;
            }

            headersSent = true;
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            await using var source = await response.Content.ReadAsStreamAsync(cancel.Token);
            // The last chunk is held back until the digest checks out: a wrong blob never reaches
            // containerd whole, so it cannot mistake it for a complete one.
            var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
            var held = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
            try
            {
                var heldCount = 0;
                long heldOffset = 0;
                var lastProgress = -ProgressInterval;
                int read;
                while ((read = await source.ReadAsync(buffer, cancel.Token)) > 0)
                {
                    if (FaultSettings.Matches(faults.FailLayer, digest) && bytes + read > faults.FailAfterBytes)
                    {
                        _log.Fault("fail", digest, $"failing the transfer after {faults.FailAfterBytes} bytes");
                        throw new TransferFailed($"fault injection: transfer failed after {faults.FailAfterBytes} bytes");
                    }

                    hash.AppendData(buffer, 0, read);
                    await WriteRangeAsync(context.Response.Body, held, heldCount, heldOffset, start, end, cancel.Token);
                    (buffer, held) = (held, buffer);
                    (heldCount, heldOffset) = (read, bytes);
                    bytes += read;
                    if (stopwatch.Elapsed - lastProgress >= ProgressInterval)
                    {
                        Board.Report(new LayerProgress(digest, LayerState.Downloading, Bytes: bytes));
                        _coordinator.ReportProgress(lease, bytes);
                        lastProgress = stopwatch.Elapsed;
                    }
                }

                if (total is not null && bytes != total)
                {
                    throw new TransferFailed($"size mismatch: upstream announced {total} bytes, sent {bytes}");
                }

                var actual = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
                if (actual != digest)
                {
                    throw new TransferFailed($"digest mismatch: the upstream blob is {actual}");
                }

                await WriteRangeAsync(context.Response.Body, held, heldCount, heldOffset, start, end, cancel.Token);
            }
            finally
            {
                // Each write above has copied its bytes into the response before it returned.
                ArrayPool<byte>.Shared.Return(buffer);
                ArrayPool<byte>.Shared.Return(held);
            }

            Board.Report(new LayerProgress(digest, LayerState.Done, Bytes: bytes));
            _log.Transfer(digest, bytes, stopwatch.ElapsedMilliseconds, true, null);
            return (true, null);
        }
        catch (Exception failure) when (failure is TransferFailed or HttpRequestException or IOException or OperationCanceledException)
        {
            var error = failure switch
            {
                TransferFailed => failure.Message,
                OperationCanceledException when lease.Lost.IsCancellationRequested => $"lock lost during the transfer: {lease.LostReason}",
                OperationCanceledException => "containerd disconnected mid-stream",
                _ => $"upstream transfer failed: {failure.Message}",
            };
            if (headersSent)
            {
                // containerd must not mistake a cut-short or wrong blob for a complete one.
                context.Abort();
            }
            else if (!context.Response.HasStarted && context.Response.StatusCode < 400)
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
            }

            Board.Report(new LayerProgress(digest, LayerState.Failed, Bytes: bytes, Error: error));
            _log.Transfer(digest, bytes, stopwatch.ElapsedMilliseconds, false, error);
            return (false, error);
        }
    }

    /// <summary>Serves a blob this node's containerd already has (waiting briefly for a commit in progress).</summary>
    private async Task<bool> ServeLocalAsync(HttpContext context, string digest, string why)
    {
        var deadline = Stopwatch.StartNew();
        while (!await _ctr.HasBlobAsync(digest, context.RequestAborted))
        {
            if (deadline.Elapsed > LocalCommitWait)
            {
                context.Response.StatusCode = StatusCodes.Status502BadGateway;
                return false;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100), context.RequestAborted);
        }

        _log.ServedLocally(digest, why);
        context.Response.ContentType = "application/octet-stream";
        context.Response.Headers["Docker-Content-Digest"] = digest;
        await _ctr.CopyBlobAsync(digest, context.Response.Body, context.RequestAborted);
        return true;
    }

    /// <summary>Parses <c>Range: bytes=a-</c> or <c>bytes=a-b</c>; anything else means the whole blob.</summary>
    private static (long Start, long? End) RequestedRange(HttpRequest request, long? total)
    {
        var header = request.Headers.Range.ToString();
        if (!header.StartsWith("bytes=", StringComparison.Ordinal) || header.Contains(','))
        {
            return (0, null);
        }

        var parts = header["bytes=".Length..].Split('-');
        if (parts.Length != 2 || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return (0, null);
        }

        long? end = long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var e) ? e : null;
        if ((total is not null && start >= total) || (end is not null && end < start))
        {
            return (0, null);
        }

        return (start, end);
    }

    private static async Task WriteRangeAsync(Stream body, byte[] buffer, int count, long offset, long start, long? end, CancellationToken cancel)
    {
        var from = Math.Max(start - offset, 0);
        var to = end is null ? count : Math.Min(count, end.Value - offset + 1);
        if (to > from)
        {
            await body.WriteAsync(buffer.AsMemory((int)from, (int)(to - from)), cancel);
        }
    }

    private sealed class TransferFailed(string message) : Exception(message);

}
