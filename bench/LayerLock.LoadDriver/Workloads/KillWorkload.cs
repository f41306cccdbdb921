using System.Diagnostics;
using System.Globalization;
using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// Holder SIGKILL → next waiter granted. For each of <c>--kills</c> keys: a holder in a child
/// process of the driver takes the lock and keeps its client alive (renewals running); a waiter in
/// the driver asks for the same key and is seen queued (or polling); then the holder is SIGKILLed
/// and the time from the kill to the waiter's grant is measured. All trials are set up first, a
/// few at a time; then the holders are killed one by one, each measured on its own while the
/// others wait, so a run with long leases or TTLs lasts about one of them, not one per kill.
/// </summary>
/// <remarks>
/// Where a dead holder's lock ends by expiry (a lease or TTL renewed every TTL/3), kill → grant
/// depends on where in its renewal cycle the holder died: TTL after its last renewal. A crash lands
/// anywhere in that cycle, so holder i of N is killed (i + ½)/N of a renewal period after a renewal
/// (its acquire counts as one): the measured times spread evenly from 2/3 TTL to TTL, as random
/// crashes would. Where the system sees the death itself (a session's or connection's close), the
/// holders are killed <see cref="KillSpacing"/> apart.
/// </remarks>
public sealed class KillWorkload : ISelfTimedWorkload
{
    private const string KillsFlag = "kills";
    private const int DefaultKills = 20;
    private const int MaxKills = 200;

    // Child processes start a .NET runtime each: a few at a time on a small machine.
    private const int SetupParallelism = 4;

    private static readonly TimeSpan KillSpacing = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan HolderStart = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Queued = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CleanupAllowance = TimeSpan.FromSeconds(60);

    public string Name => "kill";

    public int DefaultClients => 1;

    public IReadOnlyDictionary<string, string> ExtraFlags { get; } = new Dictionary<string, string>
    {
        [KillsFlag] = $"holders killed, each on its own key (default {DefaultKills}, at most {MaxKills})",
    };

    public IReadOnlyList<string> Profiles { get; } = [LockProfiles.Default, LockProfiles.Aggressive];

    public TimeSpan HardCap(WorkloadOptions options)
    {
        try
        {
            var kills = Kills(options);
            var context = Context(options);
            return SetupCap(kills) + (KillSpacing * kills) + (RenewalPeriod(context) ?? TimeSpan.Zero) + GrantTimeout(context) + CleanupAllowance;
        }
        catch (ArgumentException)
        {
            // Bad flags: RunAsync refuses them at once, with the message.
            return CleanupAllowance;
        }
    }

    public async Task<WorkloadResult> RunAsync(ILockSystem system, WorkloadOptions options, CancellationToken cancellation)
    {
        var context = Context(options);
        var kills = Kills(options);
        var grantTimeout = GrantTimeout(context);
        var trials = Enumerable.Range(0, kills)
            .Select(i => new KillTrial(options.Key($"kill{i}"), options.Key($"warmup{i}"), $"bench-{options.RunId}-holder{i}", $"bench-{options.RunId}-waiter{i}"))
            .ToArray();
        using var probe = new WaiterQueueProbe(context.System, context.SystemOptions);

        // A server that sees a death at once runs its fail path for the first time on the first
        // kill (a .NET server compiles it then): one kill before the measured ones, not counted.
        // With a lease or TTL the wait for expiry dwarfs that, and the run would take a TTL longer.
        var warmedUp = RenewalPeriod(context) is null && await WarmUpAsync(system, context, probe, options, grantTimeout, cancellation).ConfigureAwait(false);
        var setupTimedOut = false;
        var started = Stopwatch.GetTimestamp();
        try
        {
            using (var setup = CancellationTokenSource.CreateLinkedTokenSource(cancellation))
            {
                setup.CancelAfter(SetupCap(kills));
                try
                {
                    await Parallel.ForEachAsync(
                        trials,
                        new ParallelOptions { MaxDegreeOfParallelism = SetupParallelism, CancellationToken = setup.Token },
                        (trial, c) => new ValueTask(trial.SetUpAsync(system, context, probe, HolderStart, Queued, c))).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
                {
                    setupTimedOut = true;
                }
            }

            var setupTime = Stopwatch.GetElapsedTime(started);
            var measurements = new List<Task>(kills);
            foreach (var (trial, killAt) in Schedule(trials, RenewalPeriod(context), Stopwatch.GetTimestamp()))
            {
                if (Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), killAt) is { Ticks: > 0 } until)
                {
                    await Task.Delay(until, cancellation).ConfigureAwait(false);
                }

                measurements.Add(trial.KillAndMeasure(grantTimeout));
            }

            await Task.WhenAll(measurements).ConfigureAwait(false);
            var result = Result(trials, context, setupTime, setupTimedOut, probe.Method, grantTimeout);
            result.Checks["warmup_kills"] = warmedUp ? 1 : 0;
            if (warmedUp)
            {
                result.Notes.Add("one holder was killed before the measured ones and not counted (the server's fail path warm, as in a long-running server)");
            }

            return result;
        }
        finally
        {
            await Task.WhenAll(trials.Select(t => t.DisposeAsync().AsTask())).ConfigureAwait(false);
        }
    }

    /// <summary>Nearest-rank percentile <paramref name="p"/> (0–100) of <paramref name="sorted"/> (ascending); NaN when empty.</summary>
    private static double PercentileOf(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length), 1, sorted.Length) - 1];

    private static async Task<bool> WarmUpAsync(
        ILockSystem system, RunContext context, WaiterQueueProbe probe, WorkloadOptions options, TimeSpan grantTimeout, CancellationToken cancellation)
    {
        var warmup = new KillTrial(options.Key("warm-kill"), options.Key("warm-key"), $"bench-{options.RunId}-warm-holder", $"bench-{options.RunId}-warm-waiter");
        try
        {
            using var setup = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            setup.CancelAfter(SetupCap(1));
            await warmup.SetUpAsync(system, context, probe, HolderStart, Queued, setup.Token).ConfigureAwait(false);
            if (!warmup.Ready)
            {
                return false;
            }

            await warmup.KillAndMeasure(grantTimeout).ConfigureAwait(false);
            return warmup.Result == KillTrial.Outcome.Measured;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return false;
        }
        finally
        {
            await warmup.DisposeAsync().ConfigureAwait(false);
        }
    }

    private static WorkloadResult Result(
        KillTrial[] trials, RunContext context, TimeSpan setupTime, bool setupTimedOut, string queueMethod, TimeSpan grantTimeout)
    {
        var measured = trials.Where(t => t.Result == KillTrial.Outcome.Measured).Select(t => t.KillToGrant.TotalMilliseconds).Order().ToArray();
        double Percentile(double p) => PercentileOf(measured, p);
        int Count(KillTrial.Outcome outcome) => trials.Count(t => t.Result == outcome);
        var (p50, p99, max) = (Percentile(50), Percentile(99), measured.Length == 0 ? double.NaN : measured[^1]);

        var result = new WorkloadResult();
        result.Params["kills"] = trials.Length;
        result.Metrics["kill_to_grant_p50_ms"] = Math.Round(p50, 2);
        result.Metrics["kill_to_grant_p99_ms"] = Math.Round(p99, 2);
        result.Metrics["kill_to_grant_max_ms"] = Math.Round(max, 2);
        var exits = trials.Where(t => t.KillToExit > TimeSpan.Zero).Select(t => t.KillToExit.TotalMilliseconds).Order().ToArray();
        result.Checks["kills"] = trials.Length;
        result.Checks["measured"] = measured.Length;
        result.Checks["setup_failed"] = Count(KillTrial.Outcome.SetupFailed) + Count(KillTrial.Outcome.NotRun);
        result.Checks["granted_before_kill"] = Count(KillTrial.Outcome.GrantedBeforeKill);
        result.Checks["no_grant_after_kill"] = Count(KillTrial.Outcome.NoGrant);
        result.Checks["not_killed_by_sigkill"] = trials.Count(t => t.DiedOfSigkill == false);
        result.Checks["setup_timed_out"] = setupTimedOut ? 1 : 0;

        // The driver's side of the run, for context; no system is better or worse for them.
        result.Checks["kill_to_exit_p50_ms"] = Math.Round(exits.Length == 0 ? double.NaN : exits[(exits.Length - 1) / 2], 2);
        result.Checks["kill_to_exit_p99_ms"] = Math.Round(PercentileOf(exits, 99), 2);

        // What is left of kill → grant once the holder's process is gone: the system's own part,
        // since no system can see a death before the kernel closes the dead process's sockets.
        var afterExit = trials
            .Where(t => t.Result == KillTrial.Outcome.Measured && t.KillToExit > TimeSpan.Zero)
            .Select(t => (t.KillToGrant - t.KillToExit).TotalMilliseconds)
            .Order()
            .ToArray();
        result.Checks["exit_to_grant_p50_ms"] = Math.Round(PercentileOf(afterExit, 50), 2);
        result.Checks["exit_to_grant_p99_ms"] = Math.Round(PercentileOf(afterExit, 99), 2);
        result.Checks["setup_s"] = Math.Round(setupTime.TotalSeconds, 1);
        result.Notes.Add(
            "kill → grant = from kill(holder, SIGKILL) returning to the waiter's AcquireAsync returning; the holder is a child process (`hold`) " +
            "that took the lock through the same adapter and kept its client alive (renewals running), killed only once its waiter was seen waiting; " +
            "SIGKILL checked by the child's exit status (128 + 9); kill → exit = until the driver saw the holder's exit (the kernel tearing down a .NET process, " +
            "which closes its sockets only after it has unmapped its memory); exit → grant = kill → grant − kill → exit per trial, negative when the grant " +
            "came before the driver noticed the exit");
        result.Notes.Add($"waiting seen as: {queueMethod}");
        result.Notes.Add(
            (RenewalPeriod(context) is { } period
                ? $"holders killed at evenly spread points of their {period.TotalMilliseconds:0} ms renewal cycle (holder i of N at (i + ½)/N of it after a renewal), as random crashes would land; "
                : $"holders killed one every {KillSpacing.TotalMilliseconds:0} ms; ") +
            $"a grant not seen within {grantTimeout.TotalSeconds:0} s of the kill counts as no_grant_after_kill");
        if (RenewalPeriod(context) is not null)
        {
            result.Notes.Add(
                "a dead holder's lock ends when its lease/TTL runs out after its last renewal (every TTL/3), so kill → grant lies between 2/3 TTL and TTL, " +
                "plus the server's expiry check (etcd: every 500 ms) and, for Redis, the waiter's retry interval");
        }

        if (trials.FirstOrDefault(t => t.Failure is not null) is { Failure: { } first })
        {
            result.Notes.Add($"first failure: {first}");
        }

        var failed = trials.Length - measured.Length;
        result.Summary = string.Create(
            CultureInfo.InvariantCulture,
            $"kills={trials.Length} profile={context.Profile ?? "flags"}: kill→grant p50 {p50:0.##} ms, p99 {p99:0.##} ms, max {max:0.##} ms; measured {measured.Length}, " +
            $"failed {failed} (setup {result.Checks["setup_failed"]}, granted before kill {result.Checks["granted_before_kill"]}, no grant {result.Checks["no_grant_after_kill"]}), " +
            $"not SIGKILLed {result.Checks["not_killed_by_sigkill"]}");
        return result;
    }

    /// <summary>When to kill each ready trial (<see cref="Stopwatch"/> timestamps, in order).</summary>
    /// <param name="renewal">The holders' renewal period; null when a death is seen without expiry.</param>
    private static IEnumerable<(KillTrial Trial, long KillAt)> Schedule(KillTrial[] trials, TimeSpan? renewal, long now)
    {
        var ready = trials.Where(t => t.Ready).ToList();
        if (renewal is not { } period)
        {
            return ready.Select((t, i) => (t, now + RunClock.ToTicks(KillSpacing * i)));
        }

        var periodTicks = RunClock.ToTicks(period);
        return ready
            .Select((t, i) =>
            {
                // The first point at or after now that lies (i + ½)/N of a period after one of the holder's renewals.
                var phase = (long)((i + 0.5) / ready.Count * periodTicks);
                var killAt = t.HeldAt + phase;
                if (killAt < now)
                {
                    killAt += (now - killAt + periodTicks - 1) / periodTicks * periodTicks;
                }

                return (t, killAt);
            })
            .OrderBy(k => k.killAt)
            .ToList();
    }

    // The adapters renew leases and TTLs every TTL/3; an Akka.Remote session, or a connection whose close ends the lock, needs no expiry.
    private static TimeSpan? RenewalPeriod(RunContext context) =>
        context.System == LockSystems.LayerLockRemote || (context.System == LockSystems.LayerLockHttp && context.SystemOptions.ReleaseOnDisconnect)
            ? null
            : context.SystemOptions.Ttl / 3;

    private static RunContext Context(WorkloadOptions options) =>
        options.Context ?? throw new ArgumentException("the kill workload needs the run's system options (RunContext)");

    private static int Kills(WorkloadOptions options)
    {
        if (!options.Extra.TryGetValue(KillsFlag, out var text))
        {
            return DefaultKills;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var kills) && kills is >= 1 and <= MaxKills
            ? kills
            : throw new ArgumentException($"--{KillsFlag} must be a whole number from 1 to {MaxKills}, got '{text}'");
    }

    private static TimeSpan SetupCap(int kills) => TimeSpan.FromSeconds(60) + (TimeSpan.FromSeconds(3) * kills);

    // Generous: a lease/TTL and a half (etcd may grant more than asked: at least 2 s with its default
    // raft timing) plus slack; the end of an Akka.Remote session needs none of it.
    private static TimeSpan GrantTimeout(RunContext context)
    {
        var lease = context.System == LockSystems.LayerLockRemote ? TimeSpan.Zero : TimeSpan.FromTicks(Math.Max(context.SystemOptions.Ttl.Ticks, TimeSpan.FromSeconds(2).Ticks));
        return (lease * 1.5) + TimeSpan.FromSeconds(10);
    }
}
