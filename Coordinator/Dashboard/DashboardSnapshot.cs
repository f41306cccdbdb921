using LayerLock.Coordinator.Locks;

namespace LayerLock.Coordinator.Dashboard;

/// <summary>Builds the page's snapshot from the read-side copies the actors keep (lock table, agent table, layer sources, upload slots, metrics); never asks an actor.</summary>
internal static class DashboardSnapshot
{
    public static DashboardSnapshotBody Build(LockServices services, bool auth, double grantsPerSecond, double? handoffLast, double? handoffP50, double? handoffP99)
    {
        var time = services.Time;
        var now = DateTimeOffset.UtcNow;
        var locks = services.Table.All();
        var transfers = services.Uploads.Transfers;
        var fetching = transfers
            .GroupBy(t => t.Layer, StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<DashboardFetchBody>)[.. g.Select(t => new DashboardFetchBody(t.Node, t.Source, Milliseconds(now - t.Since)))], StringComparer.Ordinal);

        var layers = locks
            .Select(l => new DashboardLayerBody(
                l.Key,
                l.Holder,
                l.Holder is null ? null : l.Token,
                l.Holder is null ? null : Milliseconds(time.GetElapsedTime(l.HeldSince)),
                [.. l.Waiters.Select((node, i) => new DashboardWaiterBody(node, i < l.WaitingSince.Count ? Milliseconds(time.GetElapsedTime(l.WaitingSince[i])) : 0))],
                fetching.GetValueOrDefault(l.Key, [])))
            .Concat(fetching
                .Where(f => services.Table.Get(f.Key) is null)
                .Select(f => new DashboardLayerBody(f.Key, null, null, null, [], f.Value)))
            .ToList();

        var held = locks.Where(l => l.Holder is not null).GroupBy(l => l.Holder!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var served = services.Sources.CountsByNode();
        var nodes = services.Agents.All()
            .Select(a =>
            {
                var connected = time.GetElapsedTime(a.Since);
                return new DashboardNodeBody(a.Node, a.Address, now - connected, Milliseconds(connected), held.GetValueOrDefault(a.Node), served.GetValueOrDefault(a.Node), services.Uploads.Active(a.Node));
            })
            .ToList();

        var metrics = services.Metrics;
        var totals = new DashboardTotalsBody(
            metrics.Grants,
            Math.Round(grantsPerSecond, 2),
            Round(handoffLast),
            Round(handoffP50),
            Round(handoffP99),
            metrics.Failovers,
            metrics.UpstreamBytes,
            metrics.PeerBytes,
            held.Values.Sum(),
            locks.Sum(l => l.Waiters.Count),
            transfers.Count);

        return new DashboardSnapshotBody(
            now,
            [.. layers.OrderBy(l => l.Holder is null).ThenBy(l => l.Key, StringComparer.Ordinal).Take(DashboardFeed.MaxLayersShown)],
            layers.Count,
            nodes,
            totals,
            auth);
    }

    private static long Milliseconds(TimeSpan span) => Math.Max(0, (long)span.TotalMilliseconds);

    private static double? Round(double? ms) => ms is { } value ? Math.Round(value, 3) : null;
}
