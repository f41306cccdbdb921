using Prometheus;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// The Coordinator's counters, gauges and histograms for <c>GET /metrics</c>, on prometheus-net.
/// Each instance has a <see cref="Registry"/> of its own (specs run several Coordinators in one
/// process); prometheus-net's process and .NET metrics live only on its static default registry,
/// so they are not exported.
/// </summary>
internal sealed class CoordinatorMetrics
{
    // Seconds; from sub-millisecond handoffs to long layer downloads.
    private static readonly double[] Buckets = [0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 1800];

    private readonly Counter _grants;
    private readonly Counter.Child _releasedSuccess;
    private readonly Counter.Child _releasedFailure;
    private readonly Counter.Child _releasedFailover;
    private readonly Gauge _holders;
    private readonly Gauge _queueDepth;
    private readonly Gauge _activeKeys;
    private readonly Gauge _sessions;
    private readonly Counter _registryThrottled;
    private readonly Counter _grantsDeferred;
    private readonly Counter _peerGrants;
    private readonly Counter.Child _peerFetched;
    private readonly Counter.Child _peerFailed;
    private readonly Counter.Child _upstreamBytes;
    private readonly Counter.Child _peerBytes;
    private readonly Gauge _peerTransfers;
    private readonly Histogram _wait;
    private readonly Histogram _hold;
    private LockServices? _services;

    public CoordinatorMetrics()
    {
        Registry.AddBeforeCollectCallback(ReadServices);

        // Families are exported in the order they are created here; every label value is created
        // up front so that it is exported, at 0, from the first scrape.
        var factory = Metrics.WithCustomRegistry(Registry);
        _grants = factory.CreateCounter("layerlock_grants_total", "Locks granted.");
        var releases = factory.CreateCounter("layerlock_releases_total", "Locks released, by outcome.", "outcome");
        _releasedSuccess = releases.WithLabels("success");
        _releasedFailure = releases.WithLabels("failure");
        _releasedFailover = releases.WithLabels("failover");
        _holders = factory.CreateGauge("layerlock_holders", "Keys that have a holder.");
        _queueDepth = factory.CreateGauge("layerlock_queue_depth", "Requests waiting, over all keys.");
        _activeKeys = factory.CreateGauge("layerlock_active_keys", "Keys with a holder or waiters.");
        _sessions = factory.CreateGauge("layerlock_sessions", "Open agent sessions.");
        _registryThrottled = factory.CreateCounter("layerlock_registry_throttled_total", "Rate-limit answers (429 or 503 with Retry-After) from upstream registries, as holders reported them.");
        _grantsDeferred = factory.CreateCounter("layerlock_grants_deferred_total", "Grants held back while the requester's registry was rate-limited.");
        _peerGrants = factory.CreateCounter("layerlock_peer_grants_total", "Layer requests answered with a peer grant (fetch it from a node that has it) instead of the lock.");
        var peerFetches = factory.CreateCounter("layerlock_peer_fetches_total", "Peer transfers reported by their fetchers, by outcome.", "outcome");
        _peerFetched = peerFetches.WithLabels("success");
        _peerFailed = peerFetches.WithLabels("failure");
        var layerBytes = factory.CreateCounter("layerlock_layer_bytes_total", "Layer bytes that reached nodes, by where they came from: the registry under a lock, or a peer.", "source");
        _upstreamBytes = layerBytes.WithLabels("upstream");
        _peerBytes = layerBytes.WithLabels("peer");
        _peerTransfers = factory.CreateGauge("layerlock_peer_transfers", "Peer transfers under way.");
        _wait = factory.CreateHistogram("layerlock_wait_seconds", "Time from request to grant.", new HistogramConfiguration { Buckets = Buckets });
        _hold = factory.CreateHistogram("layerlock_hold_seconds", "Time from grant to release.", new HistogramConfiguration { Buckets = Buckets });
    }

    /// <summary>
    /// This Coordinator's metrics; <c>GET /metrics</c> writes it with
    /// <see cref="CollectorRegistry.CollectAndExportAsTextAsync(Stream, CancellationToken)"/>.
    /// </summary>
    public CollectorRegistry Registry { get; } = Metrics.NewCustomRegistry();

    /// <summary>Locks granted so far.</summary>
    public long Grants => (long)_grants.Value;

    /// <summary>Locks released on the fail path (owner gone, lease expired, holder revoked) so far.</summary>
    public long Failovers => (long)_releasedFailover.Value;

    /// <summary>Layer bytes holders reported fetching from upstream registries under a lock, so far.</summary>
    public long UpstreamBytes => (long)_upstreamBytes.Value;

    /// <summary>Layer bytes nodes fetched from peers (successful transfers only), so far.</summary>
    public long PeerBytes => (long)_peerBytes.Value;

    /// <summary>
    /// Reads the series that other objects keep from <paramref name="services"/> at every scrape:
    /// holders, queue depth and active keys from the lock table, sessions from the agent table,
    /// the rate-limit counts from the throttles, and peer grants and transfers from the upload slots.
    /// Until it is called they stay at 0.
    /// </summary>
    public void ReadAtScrape(LockServices services) => Volatile.Write(ref _services, services);

    public void Granted(TimeSpan waited)
    {
        _grants.Inc();
        _wait.Observe(waited.TotalSeconds);
    }

    /// <param name="bytes">Bytes the holder fetched from upstream, when it said (agents do; HTTP clients do not).</param>
    public void Released(ReleaseOutcome outcome, TimeSpan held, long? bytes = null)
    {
        if (bytes is > 0)
        {
            _upstreamBytes.Inc(bytes.Value);
        }

        var released = outcome switch
        {
            ReleaseOutcome.Success => _releasedSuccess,
            ReleaseOutcome.Failure => _releasedFailure,
            _ => _releasedFailover,
        };
        released.Inc();
        _hold.Observe(held.TotalSeconds);
    }

    /// <summary>A peer transfer ended: with success its bytes count as bytes from peers.</summary>
    public void PeerFetched(bool success, long bytes)
    {
        if (success)
        {
            _peerFetched.Inc();
            _peerBytes.Inc(bytes);
        }
        else
        {
            _peerFailed.Inc();
        }
    }

    private void ReadServices()
    {
        if (Volatile.Read(ref _services) is not { } services)
        {
            return;
        }

        var locks = services.Table.All();
        _holders.Set(locks.Count(l => l.Holder is not null));
        _queueDepth.Set(locks.Sum(l => l.Waiters.Count));
        _activeKeys.Set(locks.Count);
        _sessions.Set(services.Agents.Count);

        // Counters kept elsewhere: IncTo moves each up to the source's count, never down.
        _registryThrottled.IncTo(services.Throttles.Throttled);
        _grantsDeferred.IncTo(services.Throttles.Deferred);
        _peerGrants.IncTo(services.Uploads.Granted);
        _peerTransfers.Set(services.Uploads.Transfers.Count);
    }
}

internal enum ReleaseOutcome
{
    Success,
    Failure,
    Failover,
}
