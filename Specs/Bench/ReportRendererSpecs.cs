using LayerLock.LoadDriver.Results;
using Xunit;

namespace LayerLock.Specs.Bench;

public sealed class ReportRendererSpecs
{
    [Theory]
    [InlineData(new[] { 3.0 }, 3.0)]
    [InlineData(new[] { 5.0, 1.0, 3.0 }, 3.0)]
    [InlineData(new[] { 4.0, 1.0, 3.0, 2.0 }, 2.5)]
    [InlineData(new[] { 2.0, double.NaN, 4.0 }, 3.0)]
    public void Median_should_take_the_middle_value_or_the_mean_of_the_middle_two(double[] values, double median)
    {
        Assert.Equal(median, ReportRenderer.Median(values));
    }

    [Fact]
    public void Median_should_be_NaN_when_there_are_no_values()
    {
        Assert.True(double.IsNaN(ReportRenderer.Median([])));
    }

    [Theory]
    [InlineData("cycles_per_s", MetricDirection.HigherIsBetter)]
    [InlineData("handoff_p99_us", MetricDirection.LowerIsBetter)]
    [InlineData("failover_ms", MetricDirection.LowerIsBetter)]
    [InlineData("recovery_s", MetricDirection.LowerIsBetter)]
    [InlineData("grants", MetricDirection.Unknown)]
    public void Direction_should_follow_the_unit_suffix(string metric, MetricDirection direction)
    {
        Assert.Equal(direction, MetricDirections.Of(metric));
    }

    [Fact]
    public void SpeedUp_should_be_above_one_when_LayerLock_is_better_in_either_direction()
    {
        Assert.Equal(4.0, MetricDirections.SpeedUp(MetricDirection.HigherIsBetter, ours: 400, peer: 100));
        Assert.Equal(4.0, MetricDirections.SpeedUp(MetricDirection.LowerIsBetter, ours: 25, peer: 100));
        Assert.Equal(0.5, MetricDirections.SpeedUp(MetricDirection.LowerIsBetter, ours: 200, peer: 100));
        Assert.True(double.IsNaN(MetricDirections.SpeedUp(MetricDirection.HigherIsBetter, ours: 400, peer: 0)));
        Assert.True(double.IsNaN(MetricDirections.SpeedUp(MetricDirection.Unknown, ours: 1, peer: 2)));
    }

    [Fact]
    public void Render_should_merge_repeated_runs_by_median_and_show_the_ratio_to_each_peer()
    {
        var records = new[]
        {
            Run("layerlock-remote", clients: 16, cycles: 900, p99: 50),
            Run("layerlock-remote", clients: 16, cycles: 1000, p99: 40),
            Run("layerlock-remote", clients: 16, cycles: 5000, p99: 45),
            Run("etcd", clients: 16, cycles: 250, p99: 180),
            Run("redis", clients: 16, cycles: 2000, p99: 90),
            Run("layerlock-remote", clients: 1, cycles: 300, p99: 20),
        };

        var markdown = ReportRenderer.Render(records);

        Assert.Contains("Parameters for every row: duration_s=5.", markdown);
        Assert.Contains("| 16 | 1,000 | 250 | 2,000 | 4.00× | 0.50× |", markdown);
        Assert.Contains("| 16 | 45 | 180 | 90 | 4.00× | 2.00× |", markdown);
        Assert.Contains("| 1 | 300 | – | – | – | – |", markdown);
        Assert.Contains("LayerLock speed-up × vs etcd (layerlock-remote ÷ etcd)", markdown);
        Assert.Contains("LayerLock speed-up × vs etcd (etcd ÷ layerlock-remote)", markdown);
        Assert.True(
            markdown.IndexOf("| 1 | 300", StringComparison.Ordinal) < markdown.IndexOf("| 16 | 1,000", StringComparison.Ordinal),
            "rows are ordered by their parameters");
    }

    [Fact]
    public void Render_should_show_the_worst_repeated_run_in_the_checks()
    {
        var records = new[]
        {
            Run("redis", clients: 8, cycles: 100, p99: 1, overlaps: 0),
            Run("redis", clients: 8, cycles: 100, p99: 1, overlaps: 2),
        };

        Assert.Contains("| all | redis | 2 | 2 |", ReportRenderer.Render(records));
    }

    [Fact]
    public void Render_should_render_a_workload_it_does_not_know()
    {
        var line = """{"workload":"kill","system":"etcd","label":"","params":{"clients":2},"metrics":{"failover_ms":10050},"checks":{"errors":0},"notes":"n"}""";

        var markdown = ReportRenderer.Render([RunRecord.Parse(line)]);

        Assert.Contains("## kill", markdown);
        Assert.Contains("### failover_ms (lower is better)", markdown);
        Assert.Contains("| all | 10,050 |", markdown);
    }

    [Fact]
    public void Parse_should_flatten_nested_metrics_and_turn_flags_into_numbers()
    {
        var line = """{"workload":"e2e","system":"layerlock","params":{},"metrics":{"wall_s":12.5,"wall_s_runs":[1,2],"handoff_coord_ms":{"p50":0.2,"p99":1.8},"met":{"wall_view":false}},"checks":{"complete":true}}""";

        var record = RunRecord.Parse(line);

        Assert.Equal(12.5, record.Metrics["wall_s"]);
        Assert.Equal(1.8, record.Metrics["handoff_coord_ms.p99"]);
        Assert.Equal(0, record.Metrics["met.wall_view"]);
        Assert.False(record.Metrics.ContainsKey("wall_s_runs"));
        Assert.Equal(1, record.Checks["complete"]);
    }

    [Fact]
    public void Targets_should_be_judged_on_the_median_and_say_when_a_target_was_not_measured()
    {
        var records = new[]
        {
            Run("layerlock-remote", clients: 64, cycles: 9000, p99: 1),
            Run("layerlock-remote", clients: 64, cycles: 11000, p99: 1),
            Run("layerlock-remote", clients: 64, cycles: 30000, p99: 1),
            Run("etcd", clients: 64, cycles: 1000, p99: 1),
            Run("redis", clients: 64, cycles: 20000, p99: 1),
        };

        var markdown = TargetReport.Render(records);

        Assert.Contains("| (a) uncontended cycles/s at 64 clients: ≥ 10× etcd | 11,000 vs 1,000 → 11.00× | **yes** |", markdown);
        Assert.Contains("| (a) uncontended cycles/s at 64 clients: ≥ 1× Redis | 11,000 vs 20,000 → 0.55× | no |", markdown);
        Assert.Contains("| (b) handoff p99 with 8 waiters: ≤ 1 ms and ≤ Redis | – µs vs Redis – µs | not measured |", markdown);
    }

    private static RunRecord Run(string system, int clients, double cycles, double p99, double overlaps = 0) => new(
        "uncontended",
        system,
        "",
        new() { ["clients"] = clients, ["duration_s"] = 5, ["system"] = new System.Text.Json.Nodes.JsonObject { ["ttl_ms"] = 10000 } },
        new OrderedDictionary<string, double> { ["cycles_per_s"] = cycles, ["cycle_p99_us"] = p99 },
        new OrderedDictionary<string, double> { ["overlaps"] = overlaps },
        "");
}
