using System.Diagnostics;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>The run's phases in <see cref="Stopwatch"/> timestamps: warm-up from now, then the measured window.</summary>
public sealed class RunClock
{
    public RunClock(TimeSpan warmup, TimeSpan duration)
    {
        Start = Stopwatch.GetTimestamp();
        MeasureFrom = Start + ToTicks(warmup);
        MeasureUntil = MeasureFrom + ToTicks(duration);
        Duration = duration;
    }

    public long Start { get; }

    public long MeasureFrom { get; }

    public long MeasureUntil { get; }

    public TimeSpan Duration { get; }

    public static long Now => Stopwatch.GetTimestamp();

    /// <summary>True once the measured window is over: loops stop starting new work.</summary>
    public bool Over => Stopwatch.GetTimestamp() >= MeasureUntil;

    /// <summary>Whether an operation from <paramref name="from"/> to <paramref name="until"/> lies inside the measured window.</summary>
    public bool Measured(long from, long until) => from >= MeasureFrom && until <= MeasureUntil;

    /// <summary>Whether an instant lies inside the measured window.</summary>
    public bool Measured(long at) => at >= MeasureFrom && at <= MeasureUntil;

    public static long ToTicks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    public static double ToMicros(long ticks) => ticks * 1_000_000.0 / Stopwatch.Frequency;
}
