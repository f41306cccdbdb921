using System.Text.Json.Nodes;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// What a run produced. Metric names carry their unit and so their direction, which the report
/// relies on: <c>…_per_s</c> is higher-is-better; <c>…_us</c>, <c>…_ms</c>, <c>…_s</c> are
/// lower-is-better; anything else is shown without a ratio. Checks are counts and fractions that
/// say whether the system behaved (overlaps, overtakes, errors).
/// </summary>
public sealed class WorkloadResult
{
    /// <summary>The workload's shape (clients, duration_s, …): one report row per distinct set.</summary>
    public JsonObject Params { get; } = [];

    public OrderedDictionary<string, double> Metrics { get; } = new(StringComparer.Ordinal);

    public OrderedDictionary<string, double> Checks { get; } = new(StringComparer.Ordinal);

    public List<string> Notes { get; } = [];

    /// <summary>The one-line human summary printed after the run (without the system and workload names).</summary>
    public string Summary { get; set; } = "";
}
