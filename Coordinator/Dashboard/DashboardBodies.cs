using System.Text.Json.Serialization;

namespace LayerLock.Coordinator.Dashboard;

/// <summary>
/// One lock event on the page's stream (<c>event: lock</c>, and the <c>event: backlog</c> array).
/// <paramref name="Seq"/> counts up from 1 per Coordinator run; <paramref name="At"/> is ISO 8601 UTC.
/// </summary>
internal sealed record DashboardEventBody(long Seq, DateTimeOffset At, string Name, string Key, string Node, long? Token, string Detail, string? Next, bool Warning);

/// <summary>
/// The whole picture (<c>event: snapshot</c>), pushed at most every 250 ms while something changes
/// and every 2 s regardless (less often when a snapshot is costly: see <see cref="DashboardFeed"/>).
/// </summary>
/// <param name="LayersTotal">Active keys in all; <paramref name="Layers"/> lists at most <see cref="DashboardFeed.MaxLayersShown"/> of them: those with waiters first, then held ones.</param>
/// <param name="NodesTotal">Connected agents in all; <paramref name="Nodes"/> lists at most <see cref="DashboardFeed.MaxNodesShown"/> of them, by node id.</param>
/// <param name="Auth">Whether the Coordinator has a bearer token (the page then offers "Sign out").</param>
internal sealed record DashboardSnapshotBody(
    DateTimeOffset At,
    IReadOnlyList<DashboardLayerBody> Layers,
    int LayersTotal,
    IReadOnlyList<DashboardNodeBody> Nodes,
    int NodesTotal,
    DashboardTotalsBody Totals,
    bool Auth);

/// <summary>
/// One active key: its holder (null while only waiters or peer transfers), the first
/// <see cref="DashboardFeed.MaxWaitersShown"/> waiters (the queue head first) of
/// <paramref name="WaitersTotal"/>, and the peer transfers of it under way.
/// </summary>
internal sealed record DashboardLayerBody(
    string Key,
    string? Holder,
    long? Token,
    long? HeldMs,
    IReadOnlyList<DashboardWaiterBody> Waiters,
    int WaitersTotal,
    IReadOnlyList<DashboardFetchBody> Fetching);

internal sealed record DashboardWaiterBody(string Node, long WaitMs);

/// <summary><paramref name="Node"/> fetches the layer from peer <paramref name="Source"/>, for <paramref name="Ms"/> so far.</summary>
internal sealed record DashboardFetchBody(string Node, string Source, long Ms);

/// <summary>A connected agent: its Akka.Remote address, how long it has been connected, the locks it holds, the layers it can serve to peers and the transfers it serves now.</summary>
internal sealed record DashboardNodeBody(string Node, string Address, DateTimeOffset ConnectedSince, long ConnectedMs, int LocksHeld, int Layers, int Uploads);

/// <summary>
/// Totals since the Coordinator started. <paramref name="GrantsPerSecond"/>: over the last 10 s.
/// Hand-off: from a release or fail-over to the grant to the next in line, as the Coordinator
/// made them, over the last 100 hand-offs (null before the first).
/// </summary>
internal sealed record DashboardTotalsBody(
    long Grants,
    double GrantsPerSecond,
    double? HandoffMsLast,
    double? HandoffMsP50,
    double? HandoffMsP99,
    long Failovers,
    long UpstreamBytes,
    long PeerBytes,
    int Holders,
    int Waiting,
    int PeerTransfers);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(DashboardEventBody))]
[JsonSerializable(typeof(IReadOnlyList<DashboardEventBody>))]
[JsonSerializable(typeof(DashboardSnapshotBody))]
internal sealed partial class DashboardJsonContext : JsonSerializerContext;
