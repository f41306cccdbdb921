using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace LayerLock.LoadDriver.Results;

/// <summary>
/// Judges issue 6's targets against one results file: each target's measured value beside the
/// peer it is judged against, and whether it is met. Medians over repeated runs, like the tables.
/// A target whose runs are missing says so instead of passing.
/// </summary>
public static class TargetReport
{
    public static string Render(IReadOnlyList<RunRecord> records)
    {
        var rows = new List<Row>();
        const int Clients = 64;
        var ours64 = Median(records, "uncontended", ReportRenderer.Ours, "cycles_per_s", Clients);
        var etcd64 = Median(records, "uncontended", "etcd", "cycles_per_s", Clients);
        var redis64 = Median(records, "uncontended", "redis", "cycles_per_s", Clients);
        rows.Add(new Row(
            $"(a) uncontended cycles/s at {Clients} clients: ≥ 10× etcd",
            $"{Number(ours64)} vs {Number(etcd64)} → {Ratio(ours64 / etcd64)}",
            Judge(ours64, etcd64, (o, p) => o >= 10 * p)));
        rows.Add(new Row(
            $"(a) uncontended cycles/s at {Clients} clients: ≥ 1× Redis",
            $"{Number(ours64)} vs {Number(redis64)} → {Ratio(ours64 / redis64)}",
            Judge(ours64, redis64, (o, p) => o >= p)));

        foreach (var waiters in new[] { 8, 64 })
        {
            var ours = Median(records, "handoff", ReportRenderer.Ours, "handoff_p99_us", waiters);
            var redis = Median(records, "handoff", "redis", "handoff_p99_us", waiters);
            rows.Add(new Row(
                $"(b) handoff p99 with {waiters} waiters: ≤ 1 ms and ≤ Redis",
                $"{Number(ours)} µs vs Redis {Number(redis)} µs",
                Judge(ours, redis, (o, p) => o <= 1000 && o <= p)));
        }

        foreach (var profile in new[] { "default", "aggressive" })
        {
            var ours = Median(records.Where(r => Profile(r) == profile), "kill", ReportRenderer.Ours, "kill_to_grant_p99_ms", null);
            var etcd = Median(records.Where(r => Profile(r) == profile), "kill", "etcd", "kill_to_grant_p99_ms", null);
            var redis = Median(records.Where(r => Profile(r) == profile), "kill", "redis", "kill_to_grant_p99_ms", null);
            var exit = MedianCheck(records.Where(r => Profile(r) == profile), "kill", ReportRenderer.Ours, "kill_to_exit_p99_ms");
            var afterExit = MedianCheck(records.Where(r => Profile(r) == profile), "kill", ReportRenderer.Ours, "exit_to_grant_p99_ms");
            rows.Add(new Row(
                $"(c) holder SIGKILL → next grant p99, {profile} settings: ≤ 50 ms",
                $"{Number(ours)} ms (etcd {Number(etcd)} ms, Redis {Number(redis)} ms); of it, the kernel's teardown of the killed holder: kill → exit p99 {Number(exit)} ms, then exit → grant p99 {Number(afterExit)} ms",
                Judge(ours, 0, (o, _) => o <= 50)));
        }

        var rss = Median(records, "scale", ReportRenderer.Ours, "server_rss_loaded_mib", null);
        var scale = records.FirstOrDefault(r => r.Workload == "scale" && r.System == ReportRenderer.Ours)?.Params;
        var (sessions, keys) = (scale?["sessions"]?.ToString() ?? "?", scale?["keys"]?.ToString() ?? "?");
        rows.Add(new Row(
            $"(d) Coordinator RSS with {sessions} sessions / {keys} keys: ≤ 500 MB",
            $"{Number(rss)} MiB (etcd {Number(Median(records, "scale", "etcd", "server_rss_loaded_mib", null))} MiB, Redis {Number(Median(records, "scale", "redis", "server_rss_loaded_mib", null))} MiB)",
            Judge(rss, 0, (o, _) => o * 1024 * 1024 <= 500e6)));

        var handoff = Median(records, "e2e", "layerlock", "handoff_coord_ms.p99", null);
        var wall = Median(records, "e2e", "layerlock", "overhead_per_layer_wall_ms", null);
        rows.Add(new Row(
            "(e) coordination overhead per layer ≤ 5 ms: the Coordinator's hand-off (release → next grant) p99",
            $"{Number(handoff)} ms",
            Judge(handoff, 0, (o, _) => o <= 5)));
        rows.Add(new Row(
            "(e) coordination overhead per layer ≤ 5 ms: (LayerLock wall − serialized ctr wall) ÷ layer transfers",
            $"{Number(wall)} ms",
            Judge(wall, 0, (o, _) => o <= 5)));

        var markdown = new StringBuilder("\n## Targets\n\n| target | measured (LayerLock = layerlock-remote unless named) | met |\n| --- | --- | --- |\n");
        foreach (var row in rows)
        {
            markdown.Append(CultureInfo.InvariantCulture, $"| {row.Target} | {row.Measured} | {row.Met} |\n");
        }

        return markdown.ToString();
    }

    private static string Profile(RunRecord record) =>
        record.Params["profile"] is JsonValue value && value.TryGetValue<string>(out var profile) ? profile : record.Label;

    private static double Median(IEnumerable<RunRecord> records, string workload, string system, string metric, int? clients) =>
        Median(records, workload, system, r => r.Metrics.GetValueOrDefault(metric, double.NaN), clients);

    private static double MedianCheck(IEnumerable<RunRecord> records, string workload, string system, string check) =>
        Median(records, workload, system, r => r.Checks.GetValueOrDefault(check, double.NaN), null);

    private static double Median(IEnumerable<RunRecord> records, string workload, string system, Func<RunRecord, double> value, int? clients) =>
        ReportRenderer.Median(records
            .Where(r => r.Workload == workload && r.System == system)
            .Where(r => clients is null || r.Params["clients"]?.ToJsonString() == clients.Value.ToString(CultureInfo.InvariantCulture))
            .Select(value));

    private static string Judge(double ours, double peer, Func<double, double, bool> met) =>
        !double.IsFinite(ours) || double.IsNaN(peer) ? "not measured" : met(ours, peer) ? "**yes**" : "no";

    private static string Number(double value) => ReportRenderer.Format(value);

    private static string Ratio(double ratio) => double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";

    private sealed record Row(string Target, string Measured, string Met);
}
