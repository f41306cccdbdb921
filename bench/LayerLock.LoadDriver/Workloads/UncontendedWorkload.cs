using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// N clients, each cycling acquire + release on its own key, as fast as the system answers. Measures
/// the cost of one lock cycle with no waiting: cycles/s (all clients) and per-cycle latency.
/// </summary>
public sealed class UncontendedWorkload : IWorkload
{
    public string Name => "uncontended";

    public int DefaultClients => 1;

    public IReadOnlyDictionary<string, string> ExtraFlags { get; } = new Dictionary<string, string>();

    public async Task<WorkloadResult> RunAsync(ILockSystem system, WorkloadOptions options, CancellationToken cancellation)
    {
        await using var pool = await ClientPool.ConnectAsync(system, options, cancellation).ConfigureAwait(false);
        var clients = options.Clients;
        var samples = new LatencySamples(clients);
        var errors = new ErrorTally();
        var clock = new RunClock(options.Warmup, options.Duration);
        using var drain = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        drain.CancelAfter(options.Warmup + options.Duration + options.Drain);

        var loops = Enumerable.Range(0, clients)
            .Select(i => Task.Run(() => CycleAsync(pool[i], options.Key($"u{i}"), i, clock, samples, errors, drain.Token), CancellationToken.None))
            .ToArray();
        var cancelled = await LoopDrain.WaitAllAsync(loops).ConfigureAwait(false);
        cancellation.ThrowIfCancellationRequested();

        var cycles = samples.Count;
        var percentiles = samples.PercentilesMicros(50, 99, 100);
        var result = new WorkloadResult();
        result.Params["clients"] = clients;
        result.Params["duration_s"] = options.Duration.TotalSeconds;
        result.Params["warmup_s"] = options.Warmup.TotalSeconds;
        result.Metrics["cycles_per_s"] = Math.Round(cycles / options.Duration.TotalSeconds, 1);
        result.Metrics["cycle_p50_us"] = Math.Round(percentiles[0], 1);
        result.Metrics["cycle_p99_us"] = Math.Round(percentiles[1], 1);
        result.Metrics["cycle_max_us"] = Math.Round(percentiles[2], 1);
        result.Checks["cycles"] = cycles;
        result.Checks["errors"] = errors.Count;
        result.Checks["cancelled_at_drain"] = cancelled;
        if (errors.First is { } first)
        {
            result.Notes.Add($"first error: {first}");
        }

        result.Summary = $"clients={clients}: {cycles / options.Duration.TotalSeconds:0} cycles/s, p50 {percentiles[0]:0} µs, p99 {percentiles[1]:0} µs, max {percentiles[2]:0} µs; errors {errors.Count}";
        return result;
    }

    private static async Task CycleAsync(
        ILockClient client, string key, int index, RunClock clock, LatencySamples samples, ErrorTally errors, CancellationToken cancellation)
    {
        var failures = 0;
        while (!clock.Over && failures < ErrorTally.MaxPerClient)
        {
            var started = RunClock.Now;
            try
            {
                var held = await client.AcquireAsync(key, cancellation).ConfigureAwait(false);
                await client.ReleaseAsync(held, cancellation).ConfigureAwait(false);
            }
            catch (LockSystemException error)
            {
                failures++;
                await errors.AddAsync(error, cancellation).ConfigureAwait(false);
                continue;
            }

            var finished = RunClock.Now;
            if (clock.Measured(started, finished))
            {
                samples.Add(index, finished - started);
            }
        }
    }
}
