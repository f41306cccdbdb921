using System.Globalization;
using LayerLock.NodeAgent.Hosting;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>The HTTP details of a layer transfer: rate limits, ranges and answers, and upstream reads.</summary>
public sealed partial class RegistryMirror
{
    /// <summary>
    /// The pause a registry asks for: its <c>Retry-After</c> (seconds or a date) on a 429 or a 503,
    /// or <see cref="UpstreamRetry.RateLimitPause"/> on a 429 without one. Null for any other answer
    /// (a 503 without <c>Retry-After</c> is retried as a 5xx).
    /// </summary>
    private static TimeSpan? RateLimit(HttpResponseMessage response, UpstreamRetry retry)
    {
        var status = (int)response.StatusCode;
        if (status is not (429 or 503))
        {
            return null;
        }

        var asked = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => (TimeSpan?)null,
        };
        return asked is { } pause ? (pause < TimeSpan.Zero ? TimeSpan.Zero : pause) : status == 429 ? retry.RateLimitPause : null;
    }

    /// <summary>
    /// Checks an upstream answer against the byte <paramref name="position"/> asked for and learns the
    /// blob's total size; returns how many leading body bytes to discard (a registry that ignores
    /// <c>Range</c> and sends the whole blob with 200).
    /// </summary>
    /// <exception cref="TransferFailed">A 206 whose <c>Content-Range</c> does not start at the position asked for, or disagrees on the size.</exception>
    private static long StartOf(HttpResponseMessage response, long position, ref long? total)
    {
        if (response.StatusCode == System.Net.HttpStatusCode.PartialContent)
        {
            var range = response.Content.Headers.ContentRange;
            if (range is not { Unit: "bytes", From: { } from } || from != position)
            {
                throw new TransferFailed($"upstream answered 206 with Content-Range '{range}' for a request from byte {position}");
            }

            if (range.Length is { } length)
            {
                if (total is not null && total != length)
                {
                    throw new TransferFailed($"upstream's blob size changed between attempts: {total} then {length} bytes");
                }

                total = length;
            }

            return 0;
        }

        var whole = response.Content.Headers.ContentLength;
        if (total is not null && whole is not null && whole != total)
        {
            throw new TransferFailed($"upstream's blob size changed between attempts: {total} then {whole} bytes");
        }

        total ??= whole;
        return position;
    }

    /// <summary>The answer to containerd: 200 with the size, or 206 with <c>Content-Range</c> for a ranged request.</summary>
    private static void WriteHeaders(HttpResponse response, string digest, long start, long? end, long? total)
    {
        response.ContentType = "application/octet-stream";
        response.Headers["Docker-Content-Digest"] = digest;
        if (start > 0 || end is not null)
        {
            var last = end ?? (total - 1);
            response.StatusCode = StatusCodes.Status206PartialContent;
            response.Headers.ContentRange = $"bytes {start}-{(last?.ToString(CultureInfo.InvariantCulture) ?? "*")}/{(total?.ToString(CultureInfo.InvariantCulture) ?? "*")}";
            response.ContentLength = last + 1 - start;
        }
        else
        {
            response.ContentLength = total;
        }
    }

    // A read from upstream that fails (connection reset, body ended early) is a cut to resume from,
    // unlike a failed write to containerd.
    private static async ValueTask<int> ReadUpstreamAsync(Stream source, byte[] buffer, CancellationToken cancel)
    {
        try
        {
            return await source.ReadAsync(buffer, cancel);
        }
        catch (Exception error) when (error is IOException or HttpRequestException && !cancel.IsCancellationRequested)
        {
            throw new UpstreamCut($"upstream transfer failed: {error.Message}");
        }
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
}
