namespace LayerLock.LoadDriver.Workloads;

/// <summary>Counts a run's failed operations and keeps the first message (thread-safe).</summary>
public sealed class ErrorTally
{
    /// <summary>A client that fails this often stops looping (the run's checks show it).</summary>
    public const int MaxPerClient = 100;

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(10);
    private long _count;
    private string? _first;

    public long Count => Interlocked.Read(ref _count);

    public string? First => Volatile.Read(ref _first);

    /// <summary>Records <paramref name="error"/> and pauses briefly, so a broken system is not hammered in a tight loop.</summary>
    public Task AddAsync(Exception error, CancellationToken cancellation)
    {
        Interlocked.Increment(ref _count);
        Interlocked.CompareExchange(ref _first, error.Message, null);
        return Task.Delay(Pause, cancellation);
    }
}
