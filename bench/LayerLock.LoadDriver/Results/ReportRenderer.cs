using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace LayerLock.LoadDriver.Results;

/// <summary>
/// Renders run records as markdown, generically over workloads: for each workload, one table per
/// metric (rows = the workload's parameter sets, columns = systems, then LayerLock's speed-up over
/// each peer) and one table of checks. Repeated runs of the same (workload, system, label, params)
/// are merged: metrics by their median, checks by their maximum (the worst run shows).
/// </summary>
public static class ReportRenderer
{
    /// <summary>The system the ratios are about.</summary>
    public const string Ours = "layerlock-remote";

    /// <summary>The systems LayerLock is compared with.</summary>
    public static IReadOnlyList<string> Peers { get; } = ["etcd", "redis"];

    private const int MaxNotes = 20;
    private static readonly string[] SystemOrder = ["layerlock-remote", "layerlock-http", "etcd", "redis"];

    public static string Render(IReadOnlyList<RunRecord> records)
    {
        var markdown = new StringBuilder();
        markdown.Append("# Load driver results\n\n");
        markdown.Append(CultureInfo.InvariantCulture, $"{records.Count} runs. Repeated runs of the same workload, system, label and parameters are merged: ");
        markdown.Append("metrics by their median, checks by their maximum. `speed-up ×` above 1 means LayerLock (layerlock-remote) is better: ");
        markdown.Append("for throughput (`…_per_s`) it is LayerLock ÷ peer, for latencies (`…_us`, `…_ms`) it is peer ÷ LayerLock.\n");
        markdown.Append(TargetReport.Render(records));
        foreach (var workload in records.GroupBy(r => r.Workload))
        {
            RenderWorkload(markdown, workload.Key, [.. workload]);
        }

        return markdown.ToString();
    }

    /// <summary>The median (mean of the middle two for an even count); NaN values are ignored; NaN when none are left.</summary>
    public static double Median(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var middle = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
    }

    private static void RenderWorkload(StringBuilder markdown, string workload, IReadOnlyList<RunRecord> records)
    {
        var shapes = records.Select(r => Shape.Of(r)).ToList();
        var parameterNames = shapes.SelectMany(s => s.Values.Keys).Distinct().ToList();
        var varying = parameterNames.Where(p => shapes.Select(s => s.Text(p)).Distinct().Count() > 1).ToList();
        var fixedParameters = parameterNames.Except(varying).Select(p => $"{p}={shapes[0].Text(p)}").ToList();
        var rows = shapes.Select(s => s.Key(varying)).Distinct().Select(k => shapes.First(s => s.Key(varying) == k)).ToList();
        rows.Sort((a, b) => a.CompareTo(b, varying));
        var series = records.Select(r => new Series(r.System, r.Label)).Distinct().OrderBy(s => s.Order).ThenBy(s => s.Label, StringComparer.Ordinal).ToList();
        var cells = records.Zip(shapes).GroupBy(x => (x.Second.Key(varying), new Series(x.First.System, x.First.Label))).ToDictionary(g => g.Key, g => g.Select(x => x.First).ToList());

        markdown.Append(CultureInfo.InvariantCulture, $"\n## {workload}\n\n");
        if (fixedParameters.Count > 0)
        {
            markdown.Append(CultureInfo.InvariantCulture, $"Parameters for every row: {string.Join(", ", fixedParameters)}.\n");
        }

        var metrics = records.SelectMany(r => r.Metrics.Keys).Distinct().ToList();
        foreach (var metric in metrics)
        {
            RenderMetric(markdown, metric, varying, rows, series, cells);
        }

        RenderChecks(markdown, varying, rows, series, cells);
        RenderSettings(markdown, series, records);
    }

    private static void RenderMetric(
        StringBuilder markdown, string metric, List<string> varying, List<Shape> rows, List<Series> series,
        Dictionary<(string, Series), List<RunRecord>> cells)
    {
        var direction = MetricDirections.Of(metric);
        var ratios = direction == MetricDirection.Unknown
            ? []
            : series.Where(s => s.System == Ours)
                .SelectMany(ours => Peers.Select(peer => (Ours: ours, Peer: new Series(peer, ours.Label))))
                .Where(pair => series.Contains(pair.Peer))
                .ToList();
        var better = direction switch
        {
            MetricDirection.HigherIsBetter => " (higher is better)",
            MetricDirection.LowerIsBetter => " (lower is better)",
            _ => "",
        };

        markdown.Append(CultureInfo.InvariantCulture, $"\n### {metric}{better}\n\n");
        var header = RowHeader(varying)
            .Concat(series.Select(s => s.Name))
            .Concat(ratios.Select(r => direction == MetricDirection.HigherIsBetter
                ? $"LayerLock speed-up × vs {r.Peer.Name} ({r.Ours.Name} ÷ {r.Peer.Name})"
                : $"LayerLock speed-up × vs {r.Peer.Name} ({r.Peer.Name} ÷ {r.Ours.Name})"))
            .ToList();
        AppendRow(markdown, header);
        AppendRow(markdown, header.Select(_ => "---"));
        foreach (var row in rows)
        {
            var key = row.Key(varying);
            double Value(Series s) => cells.TryGetValue((key, s), out var runs)
                ? Median(runs.Select(r => r.Metrics.GetValueOrDefault(metric, double.NaN)))
                : double.NaN;

            AppendRow(markdown, RowLabel(row, varying)
                .Concat(series.Select(s => Format(Value(s))))
                .Concat(ratios.Select(r => FormatRatio(MetricDirections.SpeedUp(direction, Value(r.Ours), Value(r.Peer))))));
        }
    }

    private static void RenderChecks(
        StringBuilder markdown, List<string> varying, List<Shape> rows, List<Series> series, Dictionary<(string, Series), List<RunRecord>> cells)
    {
        var checks = cells.Values.SelectMany(runs => runs).SelectMany(r => r.Checks.Keys).Distinct().ToList();
        markdown.Append("\n### checks (maximum over repeated runs)\n\n");
        var header = RowHeader(varying).Append("system").Append("runs").Concat(checks).ToList();
        AppendRow(markdown, header);
        AppendRow(markdown, header.Select(_ => "---"));
        foreach (var row in rows)
        {
            foreach (var system in series)
            {
                if (!cells.TryGetValue((row.Key(varying), system), out var runs))
                {
                    continue;
                }

                AppendRow(markdown, RowLabel(row, varying)
                    .Append(system.Name)
                    .Append(runs.Count.ToString(CultureInfo.InvariantCulture))
                    .Concat(checks.Select(c => Format(runs.Select(r => r.Checks.GetValueOrDefault(c, double.NaN)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Max()))));
            }
        }
    }

    private static void RenderSettings(StringBuilder markdown, List<Series> series, IReadOnlyList<RunRecord> records)
    {
        markdown.Append("\n### adapters\n\n");
        foreach (var system in series)
        {
            var runs = records.Where(r => new Series(r.System, r.Label) == system).ToList();
            var settings = runs
                .Select(r => string.Join(", ", r.SystemSettings.Where(s => s.Key is not ("endpoint" or "protocol")).Select(s => $"{s.Key}={s.Value?.ToJsonString()}")))
                .Distinct();
            markdown.Append(CultureInfo.InvariantCulture, $"- **{system.Name}**: {string.Join(" / ", settings)}\n");
            foreach (var protocol in runs.Select(r => r.SystemSettings["protocol"]?.ToString()).OfType<string>().Distinct())
            {
                markdown.Append(CultureInfo.InvariantCulture, $"  - {protocol}\n");
            }
        }

        // A note every column shares is said once; others name their columns. A run's notes are one per line.
        var notes = records
            .SelectMany(r => r.Notes.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(note => (Note: note, Series: new Series(r.System, r.Label))))
            .GroupBy(n => n.Note)
            .Select(g => (Note: g.Key, Series: g.Select(n => n.Series).Distinct().ToList()))
            .Take(MaxNotes)
            .ToList();
        if (notes.Count == 0)
        {
            return;
        }

        markdown.Append("\n### notes\n\n");
        foreach (var (note, noted) in notes)
        {
            var who = noted.Count == series.Count ? "" : $"{string.Join(", ", noted.Select(s => s.Name))}: ";
            markdown.Append(CultureInfo.InvariantCulture, $"- {who}{note}\n");
        }
    }

    private static IEnumerable<string> RowHeader(List<string> varying) => varying.Count == 0 ? ["run"] : varying;

    private static IEnumerable<string> RowLabel(Shape row, List<string> varying) => varying.Count == 0 ? ["all"] : varying.Select(row.Text);

    private static void AppendRow(StringBuilder markdown, IEnumerable<string> cells) =>
        markdown.Append("| ").AppendJoin(" | ", cells).Append(" |\n");

    /// <summary>A number for a table cell: thousands grouped, fewer decimals the larger it is; "–" when missing.</summary>
    public static string Format(double value) => value switch
    {
        double.NaN => "–",
        _ when Math.Abs(value) >= 1000 => value.ToString("#,0", CultureInfo.InvariantCulture),
        _ when Math.Abs(value) >= 100 || value == Math.Floor(value) => value.ToString("0", CultureInfo.InvariantCulture),
        _ when Math.Abs(value) >= 10 => value.ToString("0.0", CultureInfo.InvariantCulture),
        _ => value.ToString("0.###", CultureInfo.InvariantCulture),
    };

    private static string FormatRatio(double ratio) => double.IsFinite(ratio) ? ratio.ToString("0.00", CultureInfo.InvariantCulture) + "×" : "–";

    /// <summary>A column of the report: one system, with one label.</summary>
    private sealed record Series(string System, string Label)
    {
        public string Name => Label.Length == 0 ? System : $"{System} [{Label}]";

        public int Order => Array.IndexOf(SystemOrder, System) is var at and >= 0 ? at : SystemOrder.Length;
    }

    /// <summary>A run's workload parameters (params without params.system).</summary>
    private sealed class Shape(Dictionary<string, JsonNode?> values)
    {
        public Dictionary<string, JsonNode?> Values { get; } = values;

        public static Shape Of(RunRecord record) => new(record.Shape.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));

        public string Text(string name) => Values.TryGetValue(name, out var value) && value is not null
            ? value is JsonValue v && v.TryGetValue<string>(out var s) ? s : value.ToJsonString()
            : "–";

        public string Key(List<string> names) => string.Join("\u001f", names.Select(Text));

        public int CompareTo(Shape other, List<string> names)
        {
            foreach (var name in names)
            {
                var (mine, theirs) = (Text(name), other.Text(name));
                var order = double.TryParse(mine, NumberStyles.Float, CultureInfo.InvariantCulture, out var a)
                    && double.TryParse(theirs, NumberStyles.Float, CultureInfo.InvariantCulture, out var b)
                        ? a.CompareTo(b)
                        : string.CompareOrdinal(mine, theirs);
                if (order != 0)
                {
                    return order;
                }
            }

            return 0;
        }
    }
}
