using System.Globalization;
using System.Text;

namespace LayerLock.Coordinator.Locks;

/// <summary>Counters and histograms for <c>GET /metrics</c> (Prometheus text format 0.0.4).</summary>
internal sealed class CoordinatorMetrics
{
    // Seconds; from sub-millisecond handoffs to long layer downloads.
    private static readonly double[] Buckets = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800];

    private readonly Histogram _wait = new(Buckets);
    private readonly Histogram _hold = new(Buckets);
    private long _grants;
    private long _releasedSuccess;
    private long _releasedFailure;
    private long _releasedFailover;
    private long _upstreamBytes;
    private long _peerBytes;
    private long _peerFetched;
    private long _peerFailed;

    public long Grants => Interlocked.Read(ref _grants);

    public void Granted(TimeSpan waited)
    {
        Interlocked.Increment(ref _grants);
        _wait.Observe(waited.TotalSeconds);
    }

    /// <param name="bytes">Bytes the holder fetched from upstream, when it said (agents do; HTTP clients do not).</param>
    public void Released(ReleaseOutcome outcome, TimeSpan held, long? bytes = null)
    {
        if (bytes is > 0)
        {
            Interlocked.Add(ref _upstreamBytes, bytes.Value);
        }

        switch (outcome)
        {
            case ReleaseOutcome.Success:
                Interlocked.Increment(ref _releasedSuccess);
                break;
            case ReleaseOutcome.Failure:
                Interlocked.Increment(ref _releasedFailure);
                break;
            default:
                Interlocked.Increment(ref _releasedFailover);
                break;
        }

        _hold.Observe(held.TotalSeconds);
    }

    /// <summary>A peer transfer ended: with success its bytes count as bytes from peers.</summary>
    public void PeerFetched(bool success, long bytes)
    {
        if (success)
        {
            Interlocked.Increment(ref _peerFetched);
            Interlocked.Add(ref _peerBytes, bytes);
        }
        else
        {
            Interlocked.Increment(ref _peerFailed);
        }
    }

    /// <param name="sessions">Open agent sessions (one per connected agent node, from the agent table).</param>
    /// <param name="throttles">The registries' rate-limit reports and the grants they held back.</param>
    /// <param name="uploads">Peer grants and the peer transfers under way.</param>
    public string Render(LockTable table, int sessions, RegistryThrottles throttles, UploadSlots uploads)
    {
        var locks = table.All();
        var text = new StringBuilder();
        Counter(text, "layerlock_grants_total", "Locks granted.", Grants);
        text.Append("# HELP layerlock_releases_total Locks released, by outcome.\n# TYPE layerlock_releases_total counter\n");
        Line(text, "layerlock_releases_total{outcome=\"success\"}", Interlocked.Read(ref _releasedSuccess));
        Line(text, "layerlock_releases_total{outcome=\"failure\"}", Interlocked.Read(ref _releasedFailure));
        Line(text, "layerlock_releases_total{outcome=\"failover\"}", Interlocked.Read(ref _releasedFailover));
        Gauge(text, "layerlock_holders", "Keys that have a holder.", locks.Count(l => l.Holder is not null));
        Gauge(text, "layerlock_queue_depth", "Requests waiting, over all keys.", locks.Sum(l => l.Waiters.Count));
        Gauge(text, "layerlock_active_keys", "Keys with a holder or waiters.", locks.Count);
        Gauge(text, "layerlock_sessions", "Open agent sessions.", sessions);
        Counter(text, "layerlock_registry_throttled_total", "Rate-limit answers (429 or 503 with Retry-After) from upstream registries, as holders reported them.", throttles.Throttled);
        Counter(text, "layerlock_grants_deferred_total", "Grants held back while the requester's registry was rate-limited.", throttles.Deferred);
        Counter(text, "layerlock_peer_grants_total", "Layer requests answered with a peer grant (fetch it from a node that has it) instead of the lock.", uploads.Granted);
        text.Append("# HELP layerlock_peer_fetches_total Peer transfers reported by their fetchers, by outcome.\n# TYPE layerlock_peer_fetches_total counter\n");
        Line(text, "layerlock_peer_fetches_total{outcome=\"success\"}", Interlocked.Read(ref _peerFetched));
        Line(text, "layerlock_peer_fetches_total{outcome=\"failure\"}", Interlocked.Read(ref _peerFailed));
        text.Append("# HELP layerlock_layer_bytes_total Layer bytes that reached nodes, by where they came from: the registry under a lock, or a peer.\n# TYPE layerlock_layer_bytes_total counter\n");
        Line(text, "layerlock_layer_bytes_total{source=\"upstream\"}", Interlocked.Read(ref _upstreamBytes));
        Line(text, "layerlock_layer_bytes_total{source=\"peer\"}", Interlocked.Read(ref _peerBytes));
        Gauge(text, "layerlock_peer_transfers", "Peer transfers under way.", uploads.Transfers.Count);
        _wait.Render(text, "layerlock_wait_seconds", "Time from request to grant.");
        _hold.Render(text, "layerlock_hold_seconds", "Time from grant to release.");
        return text.ToString();
    }

    private static void Counter(StringBuilder text, string name, string help, long value) =>
        Line(text.Append($"# HELP {name} {help}\n# TYPE {name} counter\n"), name, value);

    private static void Gauge(StringBuilder text, string name, string help, long value) =>
        Line(text.Append($"# HELP {name} {help}\n# TYPE {name} gauge\n"), name, value);

    private static void Line(StringBuilder text, string series, long value) =>
        text.Append(series).Append(' ').Append(value.ToString(CultureInfo.InvariantCulture)).Append('\n');

    private sealed class Histogram(double[] bounds)
    {
        private readonly long[] _counts = new long[bounds.Length + 1];
        private readonly Lock _sync = new();
        private double _sum;

        public void Observe(double value)
        {
            var bucket = Array.FindIndex(bounds, bound => value <= bound);
            lock (_sync)
            {
                _counts[bucket < 0 ? bounds.Length : bucket]++;
                _sum += value;
            }
        }

        public void Render(StringBuilder text, string name, string help)
        {
            long[] counts;
            double sum;
            lock (_sync)
            {
                counts = [.. _counts];
                sum = _sum;
            }

            text.Append($"# HELP {name} {help}\n# TYPE {name} histogram\n");
            long cumulative = 0;
            for (var i = 0; i < bounds.Length; i++)
            {
                cumulative += counts[i];
                Line(text, $"{name}_bucket{{le=\"{bounds[i].ToString(CultureInfo.InvariantCulture)}\"}}", cumulative);
            }

            cumulative += counts[^1];
            Line(text, $"{name}_bucket{{le=\"+Inf\"}}", cumulative);
            text.Append($"{name}_sum {sum.ToString("0.######", CultureInfo.InvariantCulture)}\n");
            Line(text, $"{name}_count", cumulative);
        }
    }
}

internal enum ReleaseOutcome
{
    Success,
    Failure,
    Failover,
}
