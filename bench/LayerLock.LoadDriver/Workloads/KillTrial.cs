using System.Diagnostics;
using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// One holder kill on one key: a holder process, a waiter queued behind it, the SIGKILL and the
/// waiter's grant. Set up, killed and measured by <see cref="KillWorkload"/>; disposing it lets
/// go of everything (the waiter's lock released, its client closed, the holder killed if alive).
/// </summary>
/// <param name="warmupKey">A key of the waiter's own, taken and released once before it queues, so the grant path is warm when it is measured.</param>
public sealed class KillTrial(string key, string warmupKey, string holderName, string waiterName) : IAsyncDisposable
{
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);
    private readonly CancellationTokenSource _stopWaiting = new();
    private LockHandle? _granted;

    public enum Outcome
    {
        /// <summary>Not set up (yet), or set up but not killed.</summary>
        NotRun,

        /// <summary>The holder did not start or hold, or the waiter did not connect or was never seen queued.</summary>
        SetupFailed,

        /// <summary>The waiter got the lock while the holder still ran (its lease or TTL ran out without a kill).</summary>
        GrantedBeforeKill,

        /// <summary>The holder was killed and the waiter's grant came: <see cref="KillToGrant"/> is measured.</summary>
        Measured,

        /// <summary>The holder was killed but the waiter's grant did not come in time (or its acquire failed).</summary>
        NoGrant,
    }

    public string Key { get; } = key;

    public Outcome Result { get; private set; }

    /// <summary>Why the trial did not measure, when it did not.</summary>
    public string? Failure { get; private set; }

    /// <summary>From the SIGKILL being sent to the waiter's <c>AcquireAsync</c> returning.</summary>
    public TimeSpan KillToGrant { get; private set; }

    /// <summary>From the SIGKILL being sent to the driver seeing the holder's exit (the kernel tearing the process down, and SIGCHLD); zero when not seen.</summary>
    public TimeSpan KillToExit { get; private set; }

    /// <summary>Whether the holder's exit was SIGKILL's (checked after the kill).</summary>
    public bool? DiedOfSigkill { get; private set; }

    /// <summary>The <see cref="Stopwatch"/> timestamp at which the holder said it held the lock (its renewals count from about then).</summary>
    public long HeldAt { get; private set; }

    private HolderProcess? Holder { get; set; }

    private ILockClient? Waiter { get; set; }

    private Task<long>? Acquire { get; set; }

    /// <summary>Starts the holder, connects the waiter, sends its acquire and waits until the system shows it queued.</summary>
    /// <param name="holderStart">How long the holder process may take to start and hold the lock.</param>
    /// <param name="queued">How long the waiter may take to show up queued.</param>
    public async Task SetUpAsync(
        ILockSystem system, RunContext context, WaiterQueueProbe probe, TimeSpan holderStart, TimeSpan queued, CancellationToken cancellation)
    {
        try
        {
            Holder = await HolderProcess.StartAsync(context.System, context.SystemOptions, Key, holderName, holderStart, cancellation).ConfigureAwait(false);
            HeldAt = Stopwatch.GetTimestamp();
            Waiter = await system.ConnectAsync(waiterName, cancellation).ConfigureAwait(false);
            var warmup = await Waiter.AcquireAsync(warmupKey, cancellation).ConfigureAwait(false);
            await Waiter.ReleaseAsync(warmup, cancellation).ConfigureAwait(false);
            Acquire = AcquireStampedAsync(Waiter);
            if (!await probe.WaitQueuedAsync(Key, waiterName, Acquire, queued, cancellation).ConfigureAwait(false))
            {
                Fail(Acquire.IsCompletedSuccessfully ? Outcome.GrantedBeforeKill : Outcome.SetupFailed,
                    Acquire.IsCompleted ? $"the waiter's acquire ended before it was seen queued ({HowAcquireEnded()})"
                        : $"the waiter was not seen queued within {queued.TotalSeconds:0} s ({probe.Method})");
            }
        }
        catch (LockSystemException error)
        {
            Fail(Outcome.SetupFailed, error.Message);
        }
    }

    /// <summary>Whether <see cref="SetUpAsync"/> left a live holder and a queued waiter.</summary>
    public bool Ready => Result == Outcome.NotRun && Holder is not null && Acquire is not null;

    /// <summary>
    /// SIGKILLs the holder — unless it already died or the waiter already has the lock — and
    /// returns at once with the task that measures until the waiter's grant (or <paramref name="grantTimeout"/>).
    /// </summary>
    public Task KillAndMeasure(TimeSpan grantTimeout)
    {
        if (Holder!.HasExited)
        {
            Fail(Outcome.SetupFailed, "the holder process exited before the kill");
            return Task.CompletedTask;
        }

        if (Acquire!.IsCompleted)
        {
            Fail(Acquire.IsCompletedSuccessfully ? Outcome.GrantedBeforeKill : Outcome.NoGrant,
                $"the waiter's acquire ended while the holder ran ({HowAcquireEnded()})");
            return Task.CompletedTask;
        }

        Holder.Kill();
        var killedAt = Stopwatch.GetTimestamp();
        return MeasureAsync(killedAt, grantTimeout);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopWaiting.CancelAsync().ConfigureAwait(false);
        if (Acquire is not null)
        {
            try
            {
                await Acquire.ConfigureAwait(false);
            }
            catch (Exception error) when (error is LockSystemException or OperationCanceledException)
            {
                // Withdrawn or failed: nothing to release.
            }
        }

        if (Waiter is not null)
        {
            if (_granted is not null)
            {
                using var release = new CancellationTokenSource(ReleaseTimeout);
                try
                {
                    await Waiter.ReleaseAsync(_granted, release.Token).ConfigureAwait(false);
                }
                catch (Exception error) when (error is LockSystemException or OperationCanceledException)
                {
                    // Best effort: the waiter's client closes next, which ends the lock on every system.
                }
            }

            await Waiter.DisposeAsync().ConfigureAwait(false);
        }

        Holder?.Dispose();
        _stopWaiting.Dispose();
    }

    private async Task MeasureAsync(long killedAt, TimeSpan grantTimeout)
    {
        var dead = Holder!.WaitDeadAsync(grantTimeout);
        try
        {
            var grantedAt = await Acquire!.WaitAsync(grantTimeout).ConfigureAwait(false);
            KillToGrant = Stopwatch.GetElapsedTime(killedAt, grantedAt);
            Result = Outcome.Measured;
        }
        catch (TimeoutException)
        {
            Fail(Outcome.NoGrant, $"no grant within {grantTimeout.TotalSeconds:0} s of the kill");
        }
        catch (LockSystemException error)
        {
            Fail(Outcome.NoGrant, error.Message);
        }

        var (sigkill, exitedAt) = await dead.ConfigureAwait(false);
        DiedOfSigkill = sigkill;
        KillToExit = exitedAt == 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(killedAt, exitedAt);
    }

    // The timestamp is taken as the acquire returns, not when someone looks.
    private async Task<long> AcquireStampedAsync(ILockClient waiter)
    {
        await Task.Yield();
        var granted = await waiter.AcquireAsync(Key, _stopWaiting.Token).ConfigureAwait(false);
        var at = Stopwatch.GetTimestamp();
        _granted = granted;
        return at;
    }

    private string HowAcquireEnded() => Acquire switch
    {
        { IsCompletedSuccessfully: true } => "granted",
        { Exception.InnerException: { } error } => error.Message,
        _ => "cancelled",
    };

    private void Fail(Outcome outcome, string why)
    {
        Result = outcome;
        Failure = $"{Key}: {why}";
    }
}
