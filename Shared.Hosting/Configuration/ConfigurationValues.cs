using Akka.Configuration.Hocon;
using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>
/// Durations and sizes in configuration values, read the way Akka reads them
/// (<see cref="HoconValue.GetTimeSpan"/>, <see cref="HoconValue.GetByteSize"/>), from any source:
/// a HOCON file, an environment variable or a flag.
/// </summary>
public static class ConfigurationValues
{
    /// <summary>The durations Akka accepts, for error messages.</summary>
    public const string DurationForms =
        "a non-negative number and a unit, such as 500ms, 5s, 1m, 2h or 1d "
        + "(units ns, ms, s, m, h, d or nanoseconds, microseconds, milliseconds, seconds, minutes, hours, days; "
        + "no unit means milliseconds)";

    /// <summary>The sizes Akka accepts, for error messages.</summary>
    public const string SizeForms =
        "a whole number of bytes, optionally with a unit, such as 512, 64KiB, 1MiB, 10MB or 1k "
        + "(B; kB MB GB TB PB EB = powers of 1000; K M G T P E, Ki Mi Gi…, KiB MiB GiB… = powers of 1024)";

    /// <summary>Reads a duration such as "5s"; <paramref name="defaultValue"/> when the key is missing or empty.</summary>
    /// <exception cref="FormatException">The value is set but is not one of <see cref="DurationForms"/>; the message names the key.</exception>
    public static TimeSpan GetDuration(this IConfiguration configuration, string key, TimeSpan defaultValue) =>
        Read(configuration, key, out var text) ? ParseDuration(configuration, key, text) : defaultValue;

    /// <summary>Reads a duration that must be set.</summary>
    /// <exception cref="InvalidOperationException">The key is missing or empty.</exception>
    /// <exception cref="FormatException">The value is not a duration.</exception>
    public static TimeSpan GetDuration(this IConfiguration configuration, string key) =>
        Read(configuration, key, out var text)
            ? ParseDuration(configuration, key, text)
            : throw Missing(configuration, key, DurationForms);

    /// <summary>Reads a size in bytes such as "64KiB"; <paramref name="defaultValue"/> when the key is missing or empty.</summary>
    /// <exception cref="FormatException">The value is set but is not one of <see cref="SizeForms"/>; the message names the key.</exception>
    public static long GetSize(this IConfiguration configuration, string key, long defaultValue) =>
        Read(configuration, key, out var text) ? ParseSize(configuration, key, text) : defaultValue;

    /// <summary>Reads a size in bytes that must be set.</summary>
    /// <exception cref="InvalidOperationException">The key is missing or empty.</exception>
    /// <exception cref="FormatException">The value is not a size.</exception>
    public static long GetSize(this IConfiguration configuration, string key) =>
        Read(configuration, key, out var text)
            ? ParseSize(configuration, key, text)
            : throw Missing(configuration, key, SizeForms);

    /// <summary>Akka's reading of <paramref name="text"/> as a duration; false for anything else, negatives and "infinite" included.</summary>
    public static bool TryParseDuration(string? text, out TimeSpan duration)
    {
        duration = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        try
        {
            duration = Value(text).GetTimeSpan(allowInfinite: false);
            return duration >= TimeSpan.Zero;
        }
        catch (Exception error) when (error is FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
    }

    /// <summary>Akka's reading of <paramref name="text"/> as a size in bytes; false for anything else, negatives and overflows included.</summary>
    public static bool TryParseSize(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        try
        {
            var trimmed = text.Trim();
            if (Value(trimmed).GetByteSize() is not { } size || size < 0)
            {
                return false;
            }

            // Akka multiplies without an overflow check; redo it with one.
            var lastDigit = trimmed.LastIndexOfAny("0123456789".ToCharArray());
            var unit = trimmed[(lastDigit + 1)..];
            if (unit.Length > 0 && Value("1" + unit).GetByteSize() is { } perUnit)
            {
                size = checked(long.Parse(trimmed[..(lastDigit + 1)], System.Globalization.CultureInfo.InvariantCulture) * perUnit);
            }

            bytes = size;
            return true;
        }
        catch (Exception error) when (error is FormatException or OverflowException or ArgumentException)
        {
            return false;
        }
    }

    // One value, as Akka holds it after parsing `key = <text>`.
    private static HoconValue Value(string text)
    {
        var value = new HoconValue();
        value.AppendValue(new HoconLiteral { Value = text.Trim() });
        return value;
    }

    private static bool Read(IConfiguration configuration, string key, out string text)
    {
        text = configuration[key] ?? "";
        return !string.IsNullOrWhiteSpace(text);
    }

    private static TimeSpan ParseDuration(IConfiguration configuration, string key, string text) =>
        TryParseDuration(text, out var duration)
            ? duration
            : throw new FormatException($"configuration '{FullKey(configuration, key)}' = '{text}' is not a duration: expected {DurationForms}");

    private static long ParseSize(IConfiguration configuration, string key, string text) =>
        TryParseSize(text, out var bytes)
            ? bytes
            : throw new FormatException($"configuration '{FullKey(configuration, key)}' = '{text}' is not a size: expected {SizeForms}");

    private static InvalidOperationException Missing(IConfiguration configuration, string key, string validForms) =>
        new($"configuration '{FullKey(configuration, key)}' is not set: expected {validForms}");

    private static string FullKey(IConfiguration configuration, string key) =>
        configuration is IConfigurationSection section ? ConfigurationPath.Combine(section.Path, key) : key;
}
