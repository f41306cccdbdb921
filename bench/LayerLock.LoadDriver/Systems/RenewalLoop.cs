namespace LayerLock.LoadDriver.Systems;

/// <summary>
/// Renews something (a lease, a lock's TTL) every <c>period</c> until stopped, as a client library
/// would on a background timer. A failed renewal ends the loop: the next release will find out.
/// </summary>
internal sealed class RenewalLoop
{
    private readonly CancellationTokenSource _stop;
    private readonly Task _running;
    private readonly Lock _gate = new();
    private bool _ended;

    private RenewalLoop(TimeSpan period, Func<CancellationToken, Task<bool>> renewAsync, CancellationToken stopWith)
    {
        _stop = CancellationTokenSource.CreateLinkedTokenSource(stopWith);
        _running = RunAsync(period, renewAsync);
    }

    /// <param name="renewAsync">Returns false when the thing renewed is gone (the loop ends).</param>
    /// <param name="stopWith">Also stops the loop (the client's kill or dispose).</param>
    public static RenewalLoop Start(TimeSpan period, Func<CancellationToken, Task<bool>> renewAsync, CancellationToken stopWith) =>
        new(period, renewAsync, stopWith);

    /// <summary>Stops renewing; does not wait for a renewal in flight.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            if (!_ended)
            {
                _stop.Cancel();
            }
        }
    }

    /// <summary>Stops renewing and waits for a renewal in flight to finish.</summary>
    public async Task StopAsync()
    {
        Stop();
        await _running.ConfigureAwait(false);
    }

    private async Task RunAsync(TimeSpan period, Func<CancellationToken, Task<bool>> renewAsync)
    {
        var stop = _stop.Token;
        using var timer = new PeriodicTimer(period);
        try
        {
            while (await timer.WaitForNextTickAsync(stop).ConfigureAwait(false))
            {
                if (!await renewAsync(stop).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Stopped.
        }
        catch (Exception error) when (error is LockSystemException or HttpRequestException or IOException or System.Net.Sockets.SocketException)
        {
            // The renewal failed; the lock or lease runs out on its own and the release will be refused.
        }
        finally
        {
            // Disposed here, by the loop, once it has ended for whatever reason (stop, kill, a lost
            // lease); disposing unlinks it from the client's kill token.
            lock (_gate)
            {
                _ended = true;
                _stop.Dispose();
            }
        }
    }
}
