namespace LayerLock.Actors.Configuration;

/// <summary>HOCON durations: <c>500ms</c>, <c>5s</c>, <c>1m</c>, <c>2h</c>, <c>1d</c>, <c>1.5 seconds</c>.</summary>
public static class HoconDuration
{
    /// <summary>The accepted forms, for error messages.</summary>
    public const string ValidForms =
        "a non-negative number and a unit, such as 500ms, 5s, 1m, 2h or 1d "
        + "(units ns, us, ms, s, m, h, d or nanoseconds, microseconds, milliseconds, seconds, minutes, hours, days; "
        + "no unit means milliseconds)";

    private static readonly Dictionary<string, decimal> TicksPerUnit = BuildUnits();

    /// <exception cref="FormatException">The text is not one of <see cref="ValidForms"/> or is out of range.</exception>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var duration)
            ? duration
            : throw new FormatException($"'{text}' is not a duration: expected {ValidForms}");

    public static bool TryParse(string? text, out TimeSpan duration)
    {
        duration = default;
        if (!HoconNumber.TrySplit(text, out var number, out var unit) || !TicksPerUnit.TryGetValue(unit, out var ticksPerUnit))
        {
            return false;
        }

        var ticks = decimal.Round(number * ticksPerUnit);
        if (ticks > TimeSpan.MaxValue.Ticks)
        {
            return false;
        }

        duration = TimeSpan.FromTicks((long)ticks);
        return true;
    }

    private static Dictionary<string, decimal> BuildUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Add(decimal ticks, params string[] names)
        {
            foreach (var name in names)
            {
                units[name] = ticks;
            }
        }

        Add(TimeSpan.TicksPerMillisecond, "", "ms", "milli", "millis", "millisecond", "milliseconds");
        Add(TimeSpan.TicksPerMicrosecond, "us", "micro", "micros", "microsecond", "microseconds");
        Add(TimeSpan.TicksPerMicrosecond / 1000m, "ns", "nano", "nanos", "nanosecond", "nanoseconds");
        Add(TimeSpan.TicksPerSecond, "s", "second", "seconds");
        Add(TimeSpan.TicksPerMinute, "m", "minute", "minutes");
        Add(TimeSpan.TicksPerHour, "h", "hour", "hours");
        Add(TimeSpan.TicksPerDay, "d", "day", "days");
        return units;
    }
}
