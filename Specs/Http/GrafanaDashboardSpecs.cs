using System.Text.Json;
using System.Text.RegularExpressions;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Http;

/// <summary>
/// Issue 13, part 4: the shipped Grafana dashboard (<c>docs/grafana/layerlock-dashboard.json</c>)
/// queries only series a running Coordinator's <c>GET /metrics</c> exposes, so a renamed metric
/// breaks this spec, not an operator's dashboard.
/// </summary>
public sealed partial class GrafanaDashboardSpecs
{
    [Fact]
    public async Task Every_series_the_dashboard_queries_should_be_on_a_live_coordinators_metrics()
    {
        using var dashboard = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(SpecDirectories.RepositoryRoot(), "docs", "grafana", "layerlock-dashboard.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        var queries = panels.SelectMany(p => p.GetProperty("targets").EnumerateArray().Select(t => t.GetProperty("expr").GetString()!)).ToList();
        var queried = queries.SelectMany(q => SeriesName().Matches(q).Select(m => m.Value)).ToHashSet(StringComparer.Ordinal);

        await using var coordinator = await RunningCoordinator.StartAsync();
        using var http = new HttpClient();
        var metrics = await http.GetStringAsync(new Uri(coordinator.BaseAddress, "/metrics"));
        var exposed = metrics.Split('\n').Where(l => l.Length > 0 && !l.StartsWith('#')).Select(l => SeriesName().Match(l).Value).ToHashSet(StringComparer.Ordinal);

        Assert.True(panels.Count >= 8, $"{panels.Count} panels");
        Assert.All(panels, p => Assert.False(string.IsNullOrWhiteSpace(p.GetProperty("description").GetString()), p.GetProperty("title").GetString()));
        Assert.Contains("layerlock_layer_bytes_total", queried);
        Assert.Contains("layerlock_wait_seconds_bucket", queried);
        Assert.All(queried, series => Assert.Contains(series, exposed));
    }

    [GeneratedRegex("layerlock_[a-z_]+")]
    private static partial Regex SeriesName();
}
