using System.Globalization;
using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// One key, W clients looping acquire → tiny critical section → release, so the lock passes from
/// holder to waiter as fast as the system can hand it over. Measures grants/s, hand-offs/s (grants
/// to another client than the previous holder) and hand-off latency (the previous holder's release
/// returning → the next holder's acquire returning), and checks mutual exclusion (occupancy never
/// above 1) and FIFO order (overtakes; re-grants to the previous holder).
/// </summary>
public sealed class HandoffWorkload : IWorkload
{
    private const string ToleranceFlag = "overtake-tolerance-ms";
    private static readonly TimeSpan DefaultTolerance = TimeSpan.FromMilliseconds(1);

    public string Name => "handoff";

    public int DefaultClients => 8;

    public IReadOnlyDictionary<string, string> ExtraFlags { get; } = new Dictionary<string, string>
    {
        [ToleranceFlag] = "send-time jitter forgiven when counting FIFO overtakes, in ms (default 1)",
    };

    public async Task<WorkloadResult> RunAsync(ILockSystem system, WorkloadOptions options, CancellationToken cancellation)
    {
        var tolerance = Tolerance(options);
        await using var pool = await ClientPool.ConnectAsync(system, options, cancellation).ConfigureAwait(false);
        var clients = options.Clients;
        var key = options.Key("handoff");
        var errors = new ErrorTally();
        var clock = new RunClock(options.Warmup, options.Duration);
        var monitor = new HandoffMonitor(clients, clock, tolerance);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        drain.CancelAfter(options.Warmup + options.Duration + options.Drain);

        var loops = Enumerable.Range(0, clients)
            .Select(i => Task.Run(() => HoldAndPassAsync(pool[i], key, i, clock, monitor, errors, drain.Token), CancellationToken.None))
            .ToArray();
        var cancelled = await LoopDrain.WaitAllAsync(loops).ConfigureAwait(false);
        cancellation.ThrowIfCancellationRequested();

        var (fromReturned, fromCalled) = monitor.Latencies();
        var handoff = fromReturned.PercentilesMicros(50, 99, 100);
        var releaseToGrant = fromCalled.PercentilesMicros(50, 99);
        var grants = monitor.Grants;
        var seconds = options.Duration.TotalSeconds;
        var overtakeFraction = grants == 0 ? 0 : (double)monitor.Overtakes / grants;
        var regrantFraction = grants == 0 ? 0 : (double)monitor.Regrants / grants;

        var result = new WorkloadResult();
        result.Params["clients"] = clients;
        result.Params["duration_s"] = options.Duration.TotalSeconds;
        result.Params["warmup_s"] = options.Warmup.TotalSeconds;
        result.Params["overtake_tolerance_ms"] = tolerance.TotalMilliseconds;
        result.Metrics["grants_per_s"] = Math.Round(grants / seconds, 1);
        result.Metrics["handoffs_per_s"] = Math.Round(monitor.Handoffs / seconds, 1);
        result.Metrics["handoff_p50_us"] = Math.Round(handoff[0], 1);
        result.Metrics["handoff_p99_us"] = Math.Round(handoff[1], 1);
        result.Metrics["handoff_max_us"] = Math.Round(handoff[2], 1);
        result.Metrics["release_call_to_grant_p50_us"] = Math.Round(releaseToGrant[0], 1);
        result.Metrics["release_call_to_grant_p99_us"] = Math.Round(releaseToGrant[1], 1);
        result.Checks["grants"] = grants;
        result.Checks["regrants"] = monitor.Regrants;
        result.Checks["regrant_fraction"] = Math.Round(regrantFraction, 4);
        result.Checks["overlaps"] = monitor.Overlaps;
        result.Checks["overtakes"] = monitor.Overtakes;
        result.Checks["overtake_fraction"] = Math.Round(overtakeFraction, 4);
        result.Checks["grants_before_release_returned"] = monitor.GrantsBeforeReleaseReturned;
        result.Checks["errors"] = errors.Count;
        result.Checks["cancelled_at_drain"] = cancelled;
        result.Notes.Add(
            "handoffs = grants to another client than the previous holder (regrants = to the same one); " +
            $"handoff latency = previous holder's ReleaseAsync returned → next holder's AcquireAsync returned (a grant seen before the release returned counts as 0); " +
            $"overtake = a grant while another client that sent its acquire more than {tolerance.TotalMilliseconds:0.###} ms earlier still waited");
        if (errors.First is { } first)
        {
            result.Notes.Add($"first error: {first}");
        }

        result.Summary =
            $"waiters={clients}: {monitor.Handoffs / seconds:0} handoffs/s ({grants / seconds:0} grants/s), handoff p50 {handoff[0]:0} µs, p99 {handoff[1]:0} µs " +
            $"(from release call p50 {releaseToGrant[0]:0} µs, p99 {releaseToGrant[1]:0} µs); overlaps {monitor.Overlaps}, " +
            $"overtakes {monitor.Overtakes} ({overtakeFraction:P1}), regrants {monitor.Regrants} ({regrantFraction:P1}), errors {errors.Count}";
        return result;
    }

    private static TimeSpan Tolerance(WorkloadOptions options)
    {
        if (!options.Extra.TryGetValue(ToleranceFlag, out var text))
        {
            return DefaultTolerance;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var ms) && ms is >= 0 and <= 10_000
            ? TimeSpan.FromMilliseconds(ms)
            : throw new ArgumentException($"--{ToleranceFlag} must be a number of milliseconds from 0 to 10000, got '{text}'");
    }

    private static async Task HoldAndPassAsync(
        ILockClient client, string key, int index, RunClock clock, HandoffMonitor monitor, ErrorTally errors, CancellationToken cancellation)
    {
        var failures = 0;
        while (!clock.Over && failures < ErrorTally.MaxPerClient)
        {
            LockHandle held;
            monitor.AcquireSending(index);
            try
            {
                held = await client.AcquireAsync(key, cancellation).ConfigureAwait(false);
            }
            catch (LockSystemException error)
            {
                monitor.AcquireAbandoned(index);
                failures++;
                await errors.AddAsync(error, cancellation).ConfigureAwait(false);
                continue;
            }

            monitor.Granted(index, RunClock.Now);

            // The critical section: long enough for another holder's grant to be seen here.
            await Task.Yield();

            var handoff = monitor.Releasing();
            try
            {
                await client.ReleaseAsync(held, cancellation).ConfigureAwait(false);
            }
            catch (LockSystemException error)
            {
                failures++;
                await errors.AddAsync(error, cancellation).ConfigureAwait(false);
            }
            finally
            {
                monitor.Released(handoff);
            }
        }
    }
}
