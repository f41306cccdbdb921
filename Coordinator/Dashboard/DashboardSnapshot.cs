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

        // Keys with waiters first (where an operator looks for a slow pull), then the other held
        // keys, then keys with only peer transfers, each by key (the lock table is key-ordered);
        // bodies only for the ones listed.
        var fetchOnly = fetching.Keys.Where(key => services.Table.Get(key) is null).Order(StringComparer.Ordinal).ToList();
        var layers = locks.Where(l => l.Waiters.Count > 0).Concat(locks.Where(l => l.Waiters.Count == 0))
            .Select(l => new DashboardLayerBody(
                l.Key,
                l.Holder,
                l.Holder is null ? null : l.Token,
                l.Holder is null ? null : Milliseconds(time.GetElapsedTime(l.HeldSince)),
                [.. l.Waiters.Take(DashboardFeed.MaxWaitersShown).Select((node, i) => new DashboardWaiterBody(node, i < l.WaitingSince.Count ? Milliseconds(time.GetElapsedTime(l.WaitingSince[i])) : 0))],
                l.Waiters.Count,
                fetching.GetValueOrDefault(l.Key, [])))
            .Concat(fetchOnly.Select(key => new DashboardLayerBody(key, null, null, null, [], 0, fetching[key])))
            .Take(DashboardFeed.MaxLayersShown)
            .ToList();

        var held = locks.Where(l => l.Holder is not null).GroupBy(l => l.Holder!, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var served = services.Sources.CountsByNode();
        var uploads = transfers.GroupBy(t => t.Source, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var agents = services.Agents.All();
        var nodes = agents
            .Take(DashboardFeed.MaxNodesShown)
            .Select(a =>
            {
                var connected = time.GetElapsedTime(a.Since);
                return new DashboardNodeBody(a.Node, a.Address, now - connected, Milliseconds(connected), held.GetValueOrDefault(a.Node), served.GetValueOrDefault(a.Node), uploads.GetValueOrDefault(a.Node));
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
            layers,
            locks.Count + fetchOnly.Count,
            nodes,
            agents.Count,
            totals,
            auth);
    }

    private static long Milliseconds(TimeSpan span) => Math.Max(0, (long)span.TotalMilliseconds);

    private static double? Round(double? ms) => ms is { } value ? Math.Round(value, 3) : null;
}
