using System.Text;
using LayerLock.Coordinator.Locks;
using Xunit;

namespace LayerLock.Specs.Locks;

/// <summary>
/// <c>GET /metrics</c> on prometheus-net: the same names, types, HELP texts, labels and buckets the
/// hand-written exposition had (Grafana dashboards query them), a registry per Coordinator, and the
/// counts the live page reads.
/// </summary>
public sealed class CoordinatorMetricsSpecs
{
    // GET /metrics of a fresh Coordinator before the move to prometheus-net. The order of the
    // lines within a histogram is not compared: prometheus-net writes _sum and _count first.
    private const string FreshExposition = """
        # HELP layerlock_grants_total Locks granted.
        # TYPE layerlock_grants_total counter
        layerlock_grants_total 0
        # HELP layerlock_releases_total Locks released, by outcome.
        # TYPE layerlock_releases_total counter
        layerlock_releases_total{outcome="success"} 0
        layerlock_releases_total{outcome="failure"} 0
        layerlock_releases_total{outcome="failover"} 0
        # HELP layerlock_holders Keys that have a holder.
        # TYPE layerlock_holders gauge
        layerlock_holders 0
        # HELP layerlock_queue_depth Requests waiting, over all keys.
        # TYPE layerlock_queue_depth gauge
        layerlock_queue_depth 0
        # HELP layerlock_active_keys Keys with a holder or waiters.
        # TYPE layerlock_active_keys gauge
        layerlock_active_keys 0
        # HELP layerlock_sessions Open agent sessions.
        # TYPE layerlock_sessions gauge
        layerlock_sessions 0
        # HELP layerlock_registry_throttled_total Rate-limit answers (429 or 503 with Retry-After) from upstream registries, as holders reported them.
        # TYPE layerlock_registry_throttled_total counter
        layerlock_registry_throttled_total 0
        # HELP layerlock_grants_deferred_total Grants held back while the requester's registry was rate-limited.
        # TYPE layerlock_grants_deferred_total counter
        layerlock_grants_deferred_total 0
        # HELP layerlock_peer_grants_total Layer requests answered with a peer grant (fetch it from a node that has it) instead of the lock.
        # TYPE layerlock_peer_grants_total counter
        layerlock_peer_grants_total 0
        # HELP layerlock_peer_fetches_total Peer transfers reported by their fetchers, by outcome.
        # TYPE layerlock_peer_fetches_total counter
        layerlock_peer_fetches_total{outcome="success"} 0
        layerlock_peer_fetches_total{outcome="failure"} 0
        # HELP layerlock_layer_bytes_total Layer bytes that reached nodes, by where they came from: the registry under a lock, or a peer.
        # TYPE layerlock_layer_bytes_total counter
        layerlock_layer_bytes_total{source="upstream"} 0
        layerlock_layer_bytes_total{source="peer"} 0
        # HELP layerlock_peer_transfers Peer transfers under way.
        # TYPE layerlock_peer_transfers gauge
        layerlock_peer_transfers 0
        # HELP layerlock_wait_seconds Time from request to grant.
        # TYPE layerlock_wait_seconds histogram
        layerlock_wait_seconds_bucket{le="0.0005"} 0
        layerlock_wait_seconds_bucket{le="0.001"} 0
        layerlock_wait_seconds_bucket{le="0.005"} 0
        layerlock_wait_seconds_bucket{le="0.01"} 0
        layerlock_wait_seconds_bucket{le="0.05"} 0
        layerlock_wait_seconds_bucket{le="0.1"} 0
        layerlock_wait_seconds_bucket{le="0.5"} 0
        layerlock_wait_seconds_bucket{le="1"} 0
        layerlock_wait_seconds_bucket{le="5"} 0
        layerlock_wait_seconds_bucket{le="10"} 0
        layerlock_wait_seconds_bucket{le="30"} 0
        layerlock_wait_seconds_bucket{le="60"} 0
        layerlock_wait_seconds_bucket{le="300"} 0
        layerlock_wait_seconds_bucket{le="1800"} 0
        layerlock_wait_seconds_bucket{le="+Inf"} 0
        layerlock_wait_seconds_sum 0
        layerlock_wait_seconds_count 0
        # HELP layerlock_hold_seconds Time from grant to release.
        # TYPE layerlock_hold_seconds histogram
        layerlock_hold_seconds_bucket{le="0.0005"} 0
        layerlock_hold_seconds_bucket{le="0.001"} 0
        layerlock_hold_seconds_bucket{le="0.005"} 0
        layerlock_hold_seconds_bucket{le="0.01"} 0
        layerlock_hold_seconds_bucket{le="0.05"} 0
        layerlock_hold_seconds_bucket{le="0.1"} 0
        layerlock_hold_seconds_bucket{le="0.5"} 0
        layerlock_hold_seconds_bucket{le="1"} 0
        layerlock_hold_seconds_bucket{le="5"} 0
        layerlock_hold_seconds_bucket{le="10"} 0
        layerlock_hold_seconds_bucket{le="30"} 0
        layerlock_hold_seconds_bucket{le="60"} 0
        layerlock_hold_seconds_bucket{le="300"} 0
        layerlock_hold_seconds_bucket{le="1800"} 0
        layerlock_hold_seconds_bucket{le="+Inf"} 0
        layerlock_hold_seconds_sum 0
        layerlock_hold_seconds_count 0
        """;

    [Fact]
    public async Task A_fresh_registry_should_export_every_series_at_zero_and_nothing_else()
    {
        var metrics = await ScrapeAsync(new CoordinatorMetrics());

        Assert.Equal(Lines(FreshExposition).Order(StringComparer.Ordinal), Lines(metrics).Order(StringComparer.Ordinal));
        Assert.Equal(Lines(FreshExposition).Where(l => l.StartsWith('#')), Lines(metrics).Where(l => l.StartsWith('#')));
    }

    [Fact]
    public async Task Two_coordinators_in_one_process_should_count_apart()
    {
        var (first, second) = (new CoordinatorMetrics(), new CoordinatorMetrics());

        first.Granted(TimeSpan.FromMilliseconds(2));

        Assert.Equal((1, 0), (first.Grants, second.Grants));
        Assert.Contains("layerlock_grants_total 1\n", await ScrapeAsync(first));
        Assert.Contains("layerlock_grants_total 0\n", await ScrapeAsync(second));
    }

    [Fact]
    public async Task Failovers_and_layer_bytes_should_read_the_counts_so_far()
    {
        var metrics = new CoordinatorMetrics();

        metrics.Released(ReleaseOutcome.Success, TimeSpan.FromSeconds(2), bytes: 4_000_000_000);
        metrics.Released(ReleaseOutcome.Success, TimeSpan.FromSeconds(1));
        metrics.Released(ReleaseOutcome.Failover, TimeSpan.FromSeconds(40));
        metrics.PeerFetched(success: true, 3_000_000);
        metrics.PeerFetched(success: false, 999);

        Assert.Equal((1, 4_000_000_000, 3_000_000), (metrics.Failovers, metrics.UpstreamBytes, metrics.PeerBytes));
        var text = await ScrapeAsync(metrics);
        Assert.Contains("layerlock_layer_bytes_total{source=\"upstream\"} 4000000000\n", text);
        Assert.Contains("layerlock_layer_bytes_total{source=\"peer\"} 3000000\n", text);
        Assert.Contains("layerlock_peer_fetches_total{outcome=\"failure\"} 1\n", text);
        Assert.Contains("layerlock_releases_total{outcome=\"success\"} 2\n", text);
        Assert.Contains("layerlock_hold_seconds_bucket{le=\"30\"} 2\n", text);
        Assert.Contains("layerlock_hold_seconds_bucket{le=\"60\"} 3\n", text);
    }

    [Fact]
    public async Task Counts_kept_by_other_objects_should_be_read_at_each_scrape_as_counters()
    {
        var metrics = new CoordinatorMetrics();
        var services = new LockServices(FencingTokenSource.InMemory(), new LockTable(), metrics, LockLog.None, TimeProvider.System);
        metrics.ReadAtScrape(services);

        services.Throttles.Pause("registry.example:5000", TimeSpan.FromSeconds(1));
        services.Throttles.CountDeferred();
        services.Throttles.CountDeferred();
        var text = await ScrapeAsync(metrics);

        Assert.Contains("# TYPE layerlock_registry_throttled_total counter\nlayerlock_registry_throttled_total 1\n", text);
        Assert.Contains("# TYPE layerlock_grants_deferred_total counter\nlayerlock_grants_deferred_total 2\n", text);
    }

    /// <summary>What <c>GET /metrics</c> answers for <paramref name="metrics"/> now.</summary>
    internal static async Task<string> ScrapeAsync(CoordinatorMetrics metrics)
    {
        using var text = new MemoryStream();
        await metrics.Registry.CollectAndExportAsTextAsync(text);
        return Encoding.UTF8.GetString(text.ToArray());
    }

    private static string[] Lines(string exposition) => exposition.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}
