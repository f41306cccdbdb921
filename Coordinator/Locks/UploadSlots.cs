using System.Collections.Concurrent;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// How many peer transfers each node is serving now (issue 12): a node serves at most
/// <see cref="Max"/> at a time (<c>layerlock.coordinator.peers.max-uploads</c>, default 4). A slot
/// is taken when a peer grant names the node and given back when the fetcher reports the outcome
/// (<c>PeerFetched</c>) or its session ends. Shared by every lock actor; also the list of peer
/// transfers under way for <c>GET /layers</c>.
/// </summary>
internal sealed class UploadSlots(int max, TimeProvider? time = null)
{
    private readonly ConcurrentDictionary<string, int> _active = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Layer, string Node, string Source), DateTimeOffset> _transfers = new();
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private long _granted;

    public int Max { get; } = max;

    /// <summary>Peer grants made, in all.</summary>
    public long Granted => Interlocked.Read(ref _granted);

    public int Active(string node) => _active.GetValueOrDefault(node);

    /// <summary>Peer transfers under way: <c>Node</c> fetches <c>Layer</c> from <c>Source</c> since <c>Since</c>.</summary>
    public IReadOnlyList<(string Layer, string Node, string Source, DateTimeOffset Since)> Transfers =>
        [.. _transfers.Select(t => (t.Key.Layer, t.Key.Node, t.Key.Source, t.Value)).OrderBy(t => t.Layer, StringComparer.Ordinal).ThenBy(t => t.Node, StringComparer.Ordinal)];

    /// <summary>Takes one of <paramref name="node"/>'s slots, for <paramref name="fetcher"/>'s transfer of <paramref name="layer"/>, if it has one free.</summary>
    public bool TryTake(string node, string layer, string fetcher)
    {
        if (!TryTake(node))
        {
            return false;
        }

        _transfers[(layer, fetcher, node)] = _time.GetUtcNow();
        return true;
    }

    /// <summary>Gives back the slot <see cref="TryTake(string, string, string)"/> took.</summary>
    public void Give(string node, string layer, string fetcher)
    {
        _transfers.TryRemove((layer, fetcher, node), out _);
        Give(node);
    }

    private bool TryTake(string node)
    {
        while (true)
        {
            var known = _active.TryGetValue(node, out var now);
            if (now >= Max)
            {
                return false;
            }

            if (known ? _active.TryUpdate(node, now + 1, now) : _active.TryAdd(node, 1))
            {
                Interlocked.Increment(ref _granted);
                return true;
            }
        }
    }

    private void Give(string node) => _active.AddOrUpdate(node, 0, (_, now) => Math.Max(0, now - 1));
}
