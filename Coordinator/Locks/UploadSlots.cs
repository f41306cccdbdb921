using System.Collections.Concurrent;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// How many peer transfers each node is serving now (issue 12): a node serves at most
/// <see cref="Max"/> at a time (<c>layerlock.coordinator.peers.max-uploads</c>, default 4). A slot
/// is taken when a peer grant names the node and given back when the fetcher reports the outcome
/// (<c>PeerFetched</c>) or its session ends. Shared by every lock actor.
/// </summary>
internal sealed class UploadSlots(int max)
{
    private readonly ConcurrentDictionary<string, int> _active = new(StringComparer.Ordinal);
    private long _granted;

    public int Max { get; } = max;

    /// <summary>Peer grants made, in all.</summary>
    public long Granted => Interlocked.Read(ref _granted);

    public int Active(string node) => _active.GetValueOrDefault(node);

    /// <summary>Takes one of <paramref name="node"/>'s slots if it has one free.</summary>
    public bool TryTake(string node)
    {
        while (true)
        {
            var now = _active.GetValueOrDefault(node);
            if (now >= Max)
            {
                return false;
            }

            if (now == 0 ? _active.TryAdd(node, 1) : _active.TryUpdate(node, now + 1, now))
            {
                Interlocked.Increment(ref _granted);
                return true;
            }
        }
    }

    public void Give(string node) => _active.AddOrUpdate(node, 0, (_, now) => Math.Max(0, now - 1));
}
