namespace LayerLock.Coordinator.Locks;

/// <summary>
/// The peer transfers under way, and so how many each node is serving (issue 12): a node serves at
/// most <see cref="Max"/> at a time (<c>layerlock.coordinator.peers.max-uploads</c>, default 4). A
/// slot is taken when a peer grant names the node and given back when the fetcher reports the
/// outcome (<c>PeerFetched</c>) or its session ends. Shared by every lock actor; also the list of
/// peer transfers for <c>GET /layers</c>. Memory and time: one entry per transfer under way.
/// </summary>
internal sealed class UploadSlots(int max, TimeProvider? time = null)
{
    private readonly Dictionary<(string Layer, string Node, string Source), DateTimeOffset> _transfers = [];
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly Lock _sync = new();
    private long _granted;

    public int Max { get; } = max;

    /// <summary>Peer grants made, in all.</summary>
    public long Granted => Interlocked.Read(ref _granted);

    /// <summary>Peer transfers under way: <c>Node</c> fetches <c>Layer</c> from <c>Source</c> since <c>Since</c>.</summary>
    public IReadOnlyList<(string Layer, string Node, string Source, DateTimeOffset Since)> Transfers
    {
        get
        {
            lock (_sync)
            {
                return [.. _transfers.Select(t => (t.Key.Layer, t.Key.Node, t.Key.Source, t.Value)).OrderBy(t => t.Layer, StringComparer.Ordinal).ThenBy(t => t.Node, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>How many transfers <paramref name="node"/> is serving now.</summary>
    public int Active(string node)
    {
        lock (_sync)
        {
            return _transfers.Keys.Count(t => t.Source == node);
        }
    }

    /// <summary>Takes one of <paramref name="node"/>'s slots, for <paramref name="fetcher"/>'s transfer of <paramref name="layer"/>, if it has one free.</summary>
    public bool TryTake(string node, string layer, string fetcher)
    {
        lock (_sync)
        {
            if (_transfers.Keys.Count(t => t.Source == node) >= Max || !_transfers.TryAdd((layer, fetcher, node), _time.GetUtcNow()))
            {
                return false;
            }
        }

        Interlocked.Increment(ref _granted);
        return true;
    }

    /// <summary>Gives back the slot <see cref="TryTake"/> took.</summary>
    public void Give(string node, string layer, string fetcher)
    {
        lock (_sync)
        {
            _transfers.Remove((layer, fetcher, node));
        }
    }
}
