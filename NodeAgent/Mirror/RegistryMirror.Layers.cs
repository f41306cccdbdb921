using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;
using LayerLock.NodeAgent.Coordination;
using LayerLock.NodeAgent.Hosting;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>Layer blobs: the locked path.</summary>
public sealed partial class RegistryMirror
{
    private const int CopyBufferBytes = 1024 * 1024;
    private const string FromUpstream = "upstream";

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

        // Peers whose transfer of this layer failed here: not to be named again (kept across
        // containerd's own retries of the layer, dropped once the layer is in).
        var excluded = _failedPeers.TryGetValue(digest, out var failed) ? failed : [];
        while (true)
        {
            LockLease lease;
            try
            {
                var queued = new InlineProgress<LockQueuedProgress>(p => Board.Report(new LayerProgress(digest, LayerState.Queued, p.Position, p.Holder)));
                lease = await _coordinator.AcquireAsync(digest, _settings.LockWait, queued, context.RequestAborted, url.Authority, excluded.Count > 0 ? excluded : null);
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

            if (lease.Source is { } peer)
            {
                var fetched = await FetchFromPeerAsync(context, digest, peer);
                _coordinator.FinishPeerFetch(lease, fetched.Success, fetched.Bytes, fetched.Error, fetched.Missing);
                if (fetched.Success || fetched.Delivering)
                {
                    _failedPeers.TryRemove(digest, out _);
                    return fetched.Success;
                }

                // Nothing reached containerd yet: ask again without that peer.
                excluded = [.. excluded, peer.Node];
                RememberFailedPeers(digest, excluded);
                _log.PeerFallback(digest, peer.Node, fetched.Error!);
                continue;
            }

            var (success, error, retryAfter, bytes) = await TransferAsync(context, digest, url, lease);
            try
            {
                using var timeout = new CancellationTokenSource(ReleaseTimeout);
                await _coordinator.ReleaseAsync(lease, success, error, timeout.Token, retryAfter, bytes);
            }
            catch (LockRefusedException refused)
            {
                _log.LostAtRelease(digest, lease.Token, refused.Message);
            }
            catch (OperationCanceledException)
            {
                _log.LostAtRelease(digest, lease.Token, "no answer to the unlock; the session's end releases it");
            }

            if (success)
            {
                _failedPeers.TryRemove(digest, out _);
            }

            return success;
        }
    }

    /// <summary>
    /// Streams the layer from upstream to containerd under <paramref name="lease"/>. A request from
    /// containerd for the whole blob is checked here: size, and sha256 over every byte (the last
    /// chunk is held back until the digest checks out, so a wrong blob never reaches containerd
    /// whole). A ranged request (containerd resuming its own partly written ingest,
    /// <c>Range: bytes=N-</c>) is asked of upstream as that range, so it costs no more than the
    /// range; containerd checks the whole blob's digest when it commits the ingest.
    /// An upstream connection cut mid-body is resumed with <c>Range</c> from the next byte not yet
    /// received, on the same lock and the same response to containerd, up to
    /// <see cref="UpstreamRetry.Attempts"/> GETs in all with doubling backoff (a 5xx or a refused
    /// connection before the body is retried the same way); then the transfer fails.
    /// </summary>
    /// <returns>The outcome; <c>RetryAfter</c> is set when the registry rate-limited the transfer (429, or 503 with <c>Retry-After</c>); <c>Bytes</c> came from upstream.</returns>
    private async Task<(bool Success, string? Error, TimeSpan? RetryAfter, long Bytes)> TransferAsync(HttpContext context, string digest, Uri url, LockLease lease)
    {
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lease.Lost);
        var stopwatch = Stopwatch.StartNew();
        var retry = _settings.Upstream;
        var (start, end) = RequestedRange(context.Request, null);
        var ranged = start > 0 || end is not null;
        var position = start;
        long? total = null;
        long bytes = 0;
        var headersSent = false;
        var contentType = "no stated type";
        using var hash = ranged ? null : IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

        // Unranged: the previous chunk is written when the next arrives; the last one after the digest check.
        var buffer = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        var held = ArrayPool<byte>.Shared.Rent(CopyBufferBytes);
        var heldCount = 0;
        try
        {
            var faults = _settings.Faults;
            if (FaultSettings.Matches(faults.HoldLayer, digest) && faults.Hold > TimeSpan.Zero)
            {
                _log.Fault("hold", digest, $"holding the lock {faults.Hold.TotalMilliseconds:0} ms before the transfer");
                await Task.Delay(faults.Hold, cancel.Token);
            }

            var lastProgress = -ProgressInterval;
            for (var attempt = 1; ; attempt++)
            {
                try
                {
                    using var request = UpstreamRequest(context, HttpMethod.Get, url, forwardRange: false);
                    if (position > 0 || end is not null)
                    {
                        request.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(position, end);
                    }

                    using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancel.Token);
                    if (RateLimit(response, retry) is { } pause)
                    {
                        var until = DateTime.UtcNow + pause;
                        throw new RateLimited(
                            $"registry {url.Authority} is rate-limiting: it answered {(int)response.StatusCode} {response.ReasonPhrase}; retry after {pause.TotalSeconds:0} s (at {until:HH:mm:ss}Z)",
                            pause);
                    }

                    if (!response.IsSuccessStatusCode)
                    {
                        var status = $"upstream answered {(int)response.StatusCode} {response.ReasonPhrase}";
                        throw (int)response.StatusCode is >= 500 and not 501 or 408 ? new UpstreamCut(status) : new TransferFailed(status);
                    }

                    var skip = StartOf(response, position, ref total);
                    contentType = response.Content.Headers.ContentType?.MediaType ?? "no stated type";
                    if (!ranged && total is { } announced && Catalog.SizeOf(digest) is { } listed && announced != listed)
                    {
                        // An error page, a captive portal or another blob: not what the manifest lists.
                        throw new TransferFailed($"upstream sent {announced} bytes of {contentType} where the manifest lists {listed} bytes");
                    }

                    if (!headersSent)
                    {
                        WriteHeaders(context.Response, digest, start, end, total);
                        headersSent = true;
                    }

                    await using var source = await response.Content.ReadAsStreamAsync(cancel.Token);
                    int read;
                    while ((read = await ReadUpstreamAsync(source, buffer, cancel.Token)) > 0)
                    {
                        var from = (int)Math.Min(skip, read);
                        skip -= from;
                        var count = read - from;
                        if (count == 0)
                        {
                            continue;
                        }

                        if (FaultSettings.Matches(faults.FailLayer, digest) && bytes + count > faults.FailAfterBytes)
                        {
                            _log.Fault("fail", digest, $"failing the transfer after {faults.FailAfterBytes} bytes");
                            throw new TransferFailed($"fault injection: transfer failed after {faults.FailAfterBytes} bytes");
                        }

                        if (hash is null)
                        {
                            await context.Response.Body.WriteAsync(buffer.AsMemory(from, count), cancel.Token);
                        }
                        else
                        {
                            hash.AppendData(buffer, from, count);
                            await context.Response.Body.WriteAsync(held.AsMemory(0, heldCount), cancel.Token);
                            if (from == 0)
                            {
                                (buffer, held) = (held, buffer);
                            }
                            else
                            {
                                Buffer.BlockCopy(buffer, from, held, 0, count);
                            }

                            heldCount = count;
                        }

                        bytes += count;
                        position += count;
                        if (stopwatch.Elapsed - lastProgress >= ProgressInterval)
                        {
                            Board.Report(new LayerProgress(digest, LayerState.Downloading, Bytes: bytes, Source: FromUpstream));
                            _coordinator.ReportProgress(lease, bytes);
                            lastProgress = stopwatch.Elapsed;
                        }
                    }

                    var expectedEnd = end + 1 ?? total;
                    if (expectedEnd is not null && position < expectedEnd)
                    {
                        throw new UpstreamCut($"upstream ended the body at byte {position} of {expectedEnd}");
                    }

                    break;
                }
                catch (Exception cut) when (cut is UpstreamCut or HttpRequestException && attempt < retry.Attempts && !cancel.IsCancellationRequested)
                {
                    var backoff = retry.BackoffBefore(attempt + 1);
                    _log.Resuming(digest, attempt, retry.Attempts, position, (long)backoff.TotalMilliseconds, cut.Message);
                    await Task.Delay(backoff, cancel.Token);
                }
            }

            if (!ranged && Catalog.SizeOf(digest) is { } expected && bytes != expected)
            {
                throw new TransferFailed($"upstream sent {bytes} bytes of {contentType} where the manifest lists {expected} bytes");
            }

            if (hash is not null)
            {
                var actual = "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset());
                if (actual != digest)
                {
                    throw new TransferFailed($"digest mismatch: the upstream blob is {actual}");
                }

                await context.Response.Body.WriteAsync(held.AsMemory(0, heldCount), cancel.Token);
            }

            Board.Report(new LayerProgress(digest, LayerState.Done, Bytes: bytes, Source: FromUpstream));
            _log.Transfer(digest, bytes, stopwatch.ElapsedMilliseconds, true, null);
            return (true, null, null, bytes);
        }
        catch (Exception failure) when (failure is TransferFailed or RateLimited or UpstreamCut or HttpRequestException or IOException or OperationCanceledException)
        {
            var error = failure switch
            {
                TransferFailed or RateLimited => failure.Message,
                UpstreamCut => $"{failure.Message} (gave up after {retry.Attempts} attempts)",
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
            return (false, error, (failure as RateLimited)?.Pause, bytes);
        }
        finally
        {
            // Each write above has copied its bytes into the response before it returned.
            ArrayPool<byte>.Shared.Return(buffer);
            ArrayPool<byte>.Shared.Return(held);
        }
    }

    /// <summary>Serves a blob this node's containerd already has (waiting briefly for a commit in progress).</summary>
    private async Task<bool> ServeLocalAsync(HttpContext context, string digest, string why)
    {
        if (!await _ctr.WaitForBlobAsync(digest, LocalCommitWait, context.RequestAborted))
        {
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return false;
        }

        _log.ServedLocally(digest, why);
        context.Response.ContentType = "application/octet-stream";
        context.Response.Headers["Docker-Content-Digest"] = digest;
        await _ctr.CopyBlobAsync(digest, context.Response.Body, context.RequestAborted);
        return true;
    }

    private sealed class TransferFailed(string message) : Exception(message);

    /// <summary>The registry answered 429 (or 503 with <c>Retry-After</c>): not retried here; the fleet pauses for <paramref name="pause"/>.</summary>
    private sealed class RateLimited(string message, TimeSpan pause) : Exception(message)
    {
        public TimeSpan Pause { get; } = pause;
    }

    /// <summary>The upstream connection failed or ended early, or answered a retryable status: resume.</summary>
    private sealed class UpstreamCut(string message) : Exception(message);

}
