using System.Collections.Concurrent;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// Registries that asked the fleet to back off (issue 11, item 5): a holder that got 429 or 503 with
/// <c>Retry-After</c> reports it at release, and until that time has passed no lock request naming
/// that registry is granted, on any key; the requests wait in their queues instead of each node
/// trying in turn. Shared by every lock actor; a later report for the same registry extends the
/// pause, an earlier one never shortens it. A pause is capped at <see cref="MaxPause"/>.
/// </summary>
internal sealed class RegistryThrottles(TimeProvider time)
{
    /// <summary>The longest pause a single report can cause: 1 h.</summary>
    public static readonly TimeSpan MaxPause = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<string, long> _until = new(StringComparer.OrdinalIgnoreCase);
    private long _throttled;
    private long _deferred;

    /// <summary>Rate-limit answers reported by holders, in all.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Grants held back because their registry was paused, in all.</summary>
    public long Deferred => Interlocked.Read(ref _deferred);

    /// <summary>Pauses <paramref name="registry"/> for <paramref name="retryAfter"/> (at most <see cref="MaxPause"/>); returns the pause applied.</summary>
    public TimeSpan Pause(string registry, TimeSpan retryAfter)
    {
        Interlocked.Increment(ref _throttled);
        var pause = retryAfter < TimeSpan.Zero ? TimeSpan.Zero : retryAfter > MaxPause ? MaxPause : retryAfter;
        var until = time.GetTimestamp() + (long)(pause.TotalSeconds * time.TimestampFrequency);
        _until.AddOrUpdate(registry, until, (_, previous) => Math.Max(previous, until));
        return pause;
    }

    /// <summary>How long <paramref name="registry"/> stays paused; zero when it is not (or null).</summary>
    public TimeSpan Remaining(string? registry)
    {
        if (registry is null || !_until.TryGetValue(registry, out var until))
        {
            return TimeSpan.Zero;
        }

        var left = until - time.GetTimestamp();
        if (left > 0)
        {
            return TimeSpan.FromSeconds((double)left / time.TimestampFrequency);
        }

        _until.TryRemove(new KeyValuePair<string, long>(registry, until));
        return TimeSpan.Zero;
    }

    /// <summary>Counts one grant held back.</summary>
    public void CountDeferred() => Interlocked.Increment(ref _deferred);
}
