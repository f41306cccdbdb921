using System.Collections.Concurrent;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// A read-side copy of every active lock, written by each lock actor after each transition, so
/// <c>GET /locks</c> and <c>/metrics</c> never queue behind the actors. Holds only active keys.
/// </summary>
internal sealed class LockTable
{
    private readonly ConcurrentDictionary<string, LockSnapshot> _locks = new(StringComparer.Ordinal);

    public int Count => _locks.Count;

    public void Set(LockSnapshot snapshot) => _locks[snapshot.Key] = snapshot;

    public void Remove(string key) => _locks.TryRemove(key, out _);

    public LockSnapshot? Get(string key) => _locks.GetValueOrDefault(key);

    public IReadOnlyList<LockSnapshot> All() => [.. _locks.Values.OrderBy(s => s.Key, StringComparer.Ordinal)];
}

/// <summary>One key's state after a transition.</summary>
/// <param name="HeldSince">From <see cref="TimeProvider.GetTimestamp"/>; meaningful only with a holder.</param>
internal sealed record LockSnapshot(string Key, string? Holder, long Token, long HeldSince, IReadOnlyList<string> Waiters);
