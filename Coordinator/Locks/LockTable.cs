using System.Collections.Concurrent;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// A read-side copy of every active lock, written by each lock actor after each transition, so
/// <c>GET /locks</c> and <c>/metrics</c> never queue behind the actors. Holds only active keys.
/// </summary>
internal sealed class LockTable
{
    private readonly ConcurrentDictionary<string, LockSnapshot> _locks = new(StringComparer.Ordinal);

    /// <summary>Raised after every change, on the lock actor's thread; handlers must be quick.</summary>
    public event Action<string>? Changed;

    public int Count => _locks.Count;

    public void Set(LockSnapshot snapshot)
    {
        _locks[snapshot.Key] = snapshot;
        Changed?.Invoke(snapshot.Key);
    }

    public void Remove(string key)
    {
        if (_locks.TryRemove(key, out _))
        {
            Changed?.Invoke(key);
        }
    }

    /// <summary>Completes when <paramref name="condition"/> holds (checked now and after each change).</summary>
    public async Task WaitUntilAsync(Func<LockTable, bool> condition, TimeSpan timeout)
    {
        var met = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Check(string _)
        {
            if (condition(this))
            {
                met.TrySetResult();
            }
        }

        Changed += Check;
        try
        {
            Check(string.Empty);
            await met.Task.WaitAsync(timeout).ConfigureAwait(false);
        }
        finally
        {
            Changed -= Check;
        }
    }

    public LockSnapshot? Get(string key) => _locks.GetValueOrDefault(key);

    public IReadOnlyList<LockSnapshot> All() => [.. _locks.Values.OrderBy(s => s.Key, StringComparer.Ordinal)];
}

/// <summary>One key's state after a transition.</summary>
/// <param name="HeldSince">From <see cref="TimeProvider.GetTimestamp"/>; meaningful only with a holder.</param>
/// <param name="Waiters">The waiting nodes, head of the queue first.</param>
internal sealed record LockSnapshot(string Key, string? Holder, long Token, long HeldSince, IReadOnlyList<string> Waiters)
{
    /// <summary>When each of <see cref="Waiters"/> joined the queue (<see cref="TimeProvider.GetTimestamp"/>), in the same order.</summary>
    public IReadOnlyList<long> WaitingSince { get; init; } = [];
}
