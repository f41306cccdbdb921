using LayerLock.LoadDriver.Results;
using LayerLock.LoadDriver.Systems;
using LayerLock.LoadDriver.Workloads;
using Microsoft.Extensions.Logging;

namespace LayerLock.LoadDriver.Cli;

/// <summary><c>run</c>: one workload against one system; appends one record to <c>--out</c> and prints a summary line.</summary>
public static class RunCommand
{
    public const string Usage =
        "run --system layerlock-remote|layerlock-http|etcd|redis --endpoint URL-or-host:port --workload NAME --out results.jsonl\n" +
        "    [--clients N] [--duration 5s] [--warmup 1s] [--drain 30s] [--retry-ms 1] [--ttl 10s] [--wait 5m] [--label TEXT] [workload flags]\n" +
        "    [--profile default|aggressive|long-hold (instead of --ttl/--retry-ms)] [--server-pid PID (records the server's VmRSS/VmHWM)]";

    private static readonly TimeSpan ConnectAllowance = TimeSpan.FromSeconds(60);

    /// <returns>The process exit code: 0 done, 1 the run failed.</returns>
    /// <exception cref="UsageException">Bad flags.</exception>
    public static async Task<int> RunAsync(CommandLine line, ILoggerFactory logging)
    {
        var systemName = line.OneOf("system", LockSystems.Names);
        var endpoint = line.Required("endpoint");
        var workloadName = line.OneOf("workload", [.. WorkloadCatalog.All.Select(w => w.Name)]);
        var workload = WorkloadCatalog.Find(workloadName)!;
        var output = line.Required("out");
        var clients = line.Integer("clients", workload.DefaultClients, 1, 10_000);
        var duration = line.Duration("duration", TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(100), TimeSpan.FromHours(1));
        var warmup = line.Duration("warmup", TimeSpan.FromSeconds(1), TimeSpan.Zero, TimeSpan.FromMinutes(10));
        var drain = line.Duration("drain", TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        var retry = TimeSpan.FromMilliseconds(line.Number("retry-ms", 1, 0, 1000));
        var ttl = line.Duration("ttl", TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1), TimeSpan.FromHours(1));
        var wait = line.Duration("wait", TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10));
        var label = line.Optional("label") ?? "";
        var server = RunFlags.Server(line);
        var (profile, systemOptions) = RunFlags.Profile(line, workload, systemName, new LockSystemOptions(endpoint, ttl, retry, wait));
        var extra = line.Unread();
        if (extra.Keys.FirstOrDefault(k => !workload.ExtraFlags.ContainsKey(k)) is { } unknown)
        {
            var own = workload.ExtraFlags.Count == 0 ? "" : $"; {workload.Name} also takes {string.Join(", ", workload.ExtraFlags.Keys.Select(k => "--" + k))}";
            throw new UsageException($"unknown flag --{unknown} for run{own}");
        }

        ILockSystem system;
        try
        {
            system = LockSystems.Create(systemName, systemOptions, logging.CreateLogger("CoordinatorLink"));
        }
        catch (ArgumentException error)
        {
            throw new UsageException(error.Message);
        }

        await using (system.ConfigureAwait(false))
        {
            var options = new WorkloadOptions(clients, duration, warmup, drain, Guid.NewGuid().ToString("N")[..8], extra)
            {
                Context = new RunContext(systemName, systemOptions, profile, server),
            };
            var cap = workload is ISelfTimedWorkload timed ? timed.HardCap(options) : warmup + duration + drain + ConnectAllowance;
            using var hardCap = new CancellationTokenSource(cap);
            WorkloadResult result;
            try
            {
                result = await workload.RunAsync(system, options, hardCap.Token).ConfigureAwait(false);
            }
            catch (ArgumentException error)
            {
                throw new UsageException(error.Message);
            }
            catch (LockSystemException error)
            {
                Console.Error.WriteLine($"load-driver: {workloadName} on {systemName} failed: {error.Message}");
                return 1;
            }
            catch (OperationCanceledException) when (hardCap.IsCancellationRequested)
            {
                Console.Error.WriteLine(
                    $"load-driver: {workloadName} on {systemName} overran its hard cap ({cap.TotalSeconds:0} s); is {endpoint} answering?");
                return 1;
            }

            RunFlags.RecordEnd(server, profile, result);
            var settings = system.Settings();
            settings["protocol"] = system.Protocol;
            result.Params["system"] = settings;
            var record = new RunRecord(workloadName, systemName, label, result.Params, result.Metrics, result.Checks, string.Join("\n", result.Notes));
            await ResultsFile.AppendAsync(output, record, CancellationToken.None).ConfigureAwait(false);
            var shownLabel = label.Length == 0 ? "" : $" [{label}]";
            Console.WriteLine($"{workloadName} {systemName}{shownLabel} {result.Summary}");
            return 0;
        }
    }
}
