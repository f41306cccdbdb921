using Microsoft.Extensions.Configuration;

namespace LayerLock.Actors.Configuration;

/// <summary>Typed reads of HOCON durations and sizes from any configuration source.</summary>
public static class HoconConfigurationExtensions
{
    /// <summary>Reads a duration such as "5s"; <paramref name="defaultValue"/> when the key is missing or empty.</summary>
    /// <exception cref="FormatException">The value is set but is not a duration; the message names the key and the valid forms.</exception>
    public static TimeSpan GetDuration(this IConfiguration configuration, string key, TimeSpan defaultValue) =>
        Read(configuration, key, out var text) ? ParseDuration(configuration, key, text) : defaultValue;

    /// <summary>Reads a duration that must be set.</summary>
    /// <exception cref="InvalidOperationException">The key is missing or empty.</exception>
    /// <exception cref="FormatException">The value is not a duration.</exception>
    public static TimeSpan GetDuration(this IConfiguration configuration, string key) =>
        Read(configuration, key, out var text)
            ? ParseDuration(configuration, key, text)
            : throw Missing(configuration, key, HoconDuration.ValidForms);

    /// <summary>Reads a size in bytes such as "64KiB"; <paramref name="defaultValue"/> when the key is missing or empty.</summary>
    /// <exception cref="FormatException">The value is set but is not a size; the message names the key and the valid forms.</exception>
    public static long GetSize(this IConfiguration configuration, string key, long defaultValue) =>
        Read(configuration, key, out var text) ? ParseSize(configuration, key, text) : defaultValue;

    /// <summary>Reads a size in bytes that must be set.</summary>
    /// <exception cref="InvalidOperationException">The key is missing or empty.</exception>
    /// <exception cref="FormatException">The value is not a size.</exception>
    public static long GetSize(this IConfiguration configuration, string key) =>
        Read(configuration, key, out var text)
            ? ParseSize(configuration, key, text)
            : throw Missing(configuration, key, HoconSize.ValidForms);

    private static bool Read(IConfiguration configuration, string key, out string text)
    {
        text = configuration[key] ?? "";
        return !string.IsNullOrWhiteSpace(text);
    }

    private static TimeSpan ParseDuration(IConfiguration configuration, string key, string text) =>
        HoconDuration.TryParse(text, out var duration)
            ? duration
            : throw new FormatException(
                $"configuration '{FullKey(configuration, key)}' = '{text}' is not a duration: expected {HoconDuration.ValidForms}");

    private static long ParseSize(IConfiguration configuration, string key, string text) =>
        HoconSize.TryParse(text, out var bytes)
            ? bytes
            : throw new FormatException(
                $"configuration '{FullKey(configuration, key)}' = '{text}' is not a size: expected {HoconSize.ValidForms}");

    private static InvalidOperationException Missing(IConfiguration configuration, string key, string validForms) =>
        new($"configuration '{FullKey(configuration, key)}' is not set: expected {validForms}");

    private static string FullKey(IConfiguration configuration, string key) =>
        configuration is IConfigurationSection section ? ConfigurationPath.Combine(section.Path, key) : key;
}
