using System.Diagnostics;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>Latencies in <see cref="Stopwatch"/> ticks, one list per writer (no locking), merged for percentiles.</summary>
public sealed class LatencySamples
{
    private readonly List<long>[] _perWriter;

    public LatencySamples(int writers)
    {
        _perWriter = new List<long>[writers];
        for (var i = 0; i < writers; i++)
        {
            _perWriter[i] = new List<long>(4096);
        }
    }

    /// <summary>Adds one sample; writer <paramref name="writer"/> must only ever be used by one task at a time.</summary>
    public void Add(int writer, long ticks) => _perWriter[writer].Add(ticks);

    public int Count => _perWriter.Sum(l => l.Count);

    /// <summary>Nearest-rank percentiles (0 &lt; p ≤ 100) in microseconds; NaN when there are no samples.</summary>
    public IReadOnlyList<double> PercentilesMicros(params double[] percentiles)
    {
        var all = new long[Count];
        var at = 0;
        foreach (var list in _perWriter)
        {
            list.CopyTo(all, at);
            at += list.Count;
        }

        Array.Sort(all);
        return [.. percentiles.Select(p => NearestRank(all, p))];
    }

    /// <summary>The nearest-rank percentile of sorted ticks, in microseconds.</summary>
    public static double NearestRank(long[] sorted, double percentile)
    {
        if (sorted.Length == 0)
        {
            return double.NaN;
        }

        var rank = (int)Math.Ceiling(percentile / 100 * sorted.Length);
        var ticks = sorted[Math.Clamp(rank, 1, sorted.Length) - 1];
        return ticks * 1_000_000.0 / Stopwatch.Frequency;
    }
}
