namespace LayerLock.LoadDriver.Systems;

/// <summary>
/// Renews something (a lease, a lock's TTL) every <c>period</c> on a <see cref="Timer"/> until
/// stopped, as a client library would. One renewal at a time; a tick that finds one still in
/// flight is skipped. A failed renewal, or the client's kill token, ends the loop: a lost lock is
/// found out at its release.
/// </summary>
/// <remarks>
/// A plain timer rather than a <see cref="PeriodicTimer"/> loop with a cancellation source: those
/// cost a cancellation and a thread-pool hop (hundreds of µs on a loaded machine) per stop, paid
/// on every release, which is not what a real client pays.
/// </remarks>
internal sealed class RenewalLoop
{
    private readonly Func<CancellationToken, Task<bool>> _renewAsync;
    private readonly CancellationToken _killed;
    private readonly Timer _timer;
    private int _renewing;
    private int _stopped;

    private RenewalLoop(TimeSpan period, Func<CancellationToken, Task<bool>> renewAsync, CancellationToken killed)
    {
        _renewAsync = renewAsync;
        _killed = killed;
        _timer = new Timer(static state => ((RenewalLoop)state!).Tick(), this, period, period);
    }

    /// <param name="renewAsync">Returns false when the thing renewed is gone (the loop ends).</param>
    /// <param name="killed">Ends the loop at its next tick and cancels a renewal in flight (the client's kill or dispose).</param>
    public static RenewalLoop Start(TimeSpan period, Func<CancellationToken, Task<bool>> renewAsync, CancellationToken killed) =>
        new(period, renewAsync, killed);

    /// <summary>Stops renewing; a renewal in flight finishes on its own.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0)
        {
            _timer.Dispose();
        }
    }

    private void Tick()
    {
        if (_killed.IsCancellationRequested)
        {
            Stop();
            return;
        }

        if (Volatile.Read(ref _stopped) == 0 && Interlocked.Exchange(ref _renewing, 1) == 0)
        {
            _ = RenewAsync();
        }
    }

    private async Task RenewAsync()
    {
        try
        {
            if (!await _renewAsync(_killed).ConfigureAwait(false))
            {
                Stop();
            }
        }
        catch (Exception error) when (error is OperationCanceledException or LockSystemException or HttpRequestException or IOException)
        {
            // Killed, or the renewal failed: the lock or lease runs out on its own and its release will be refused.
            Stop();
        }
        finally
        {
            Volatile.Write(ref _renewing, 0);
        }
    }
}
