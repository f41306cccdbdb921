namespace LayerLock.LoadDriver.Results;

/// <summary>Which way a metric is better, read from its unit suffix.</summary>
public enum MetricDirection
{
    /// <summary>No unit the report knows: shown without a ratio.</summary>
    Unknown,

    /// <summary><c>…_per_s</c>: throughput.</summary>
    HigherIsBetter,

    /// <summary><c>…_us</c>, <c>…_ms</c>, <c>…_s</c>: latency or time.</summary>
    LowerIsBetter,
}

public static class MetricDirections
{
    public static MetricDirection Of(string metric) =>
        metric.EndsWith("_per_s", StringComparison.Ordinal) ? MetricDirection.HigherIsBetter
        : metric.EndsWith("_us", StringComparison.Ordinal) || metric.EndsWith("_ms", StringComparison.Ordinal) || metric.EndsWith("_s", StringComparison.Ordinal)
            ? MetricDirection.LowerIsBetter
            : MetricDirection.Unknown;

    /// <summary>
    /// How many times better <paramref name="ours"/> is than <paramref name="peer"/> (above 1 = ours
    /// is better): ours ÷ peer for throughput, peer ÷ ours for latency; NaN when either is missing or 0.
    /// </summary>
    public static double SpeedUp(MetricDirection direction, double ours, double peer)
    {
        if (!double.IsFinite(ours) || !double.IsFinite(peer) || ours <= 0 || peer <= 0)
        {
            return double.NaN;
        }

        return direction switch
        {
            MetricDirection.HigherIsBetter => ours / peer,
            MetricDirection.LowerIsBetter => peer / ours,
            _ => double.NaN,
        };
    }
}
