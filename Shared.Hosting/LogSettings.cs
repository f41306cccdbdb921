using LayerLock.Hosting.Configuration;
using Microsoft.Extensions.Configuration;
using Serilog;
using Serilog.Events;

namespace LayerLock.Hosting;

/// <summary>
/// The <c>layerlock.log</c> block of the HOCON files, validated. Bad values fail at start with
/// the key, the value and the valid range.
/// </summary>
public sealed record LogSettings(
    string Directory,
    LogEventLevel Level,
    string FileName,
    string JsonFileName,
    LogRolling Rolling,
    long FileSizeLimitBytes,
    int RetainedFiles)
{
    public const string Section = "layerlock:log";

    /// <summary>
    /// Reads <c>layerlock:log</c>. Defaults: <c>dir</c> <paramref name="defaultDirectory"/> (see
    /// <see cref="DefaultDirectories.Logs"/>), <c>level</c> Information, <c>file</c> and <c>json-file</c>
    /// the given names, <c>rolling</c> size, <c>file-size-limit</c> 64MiB (at least 1KiB),
    /// <c>retained-files</c> 7 (1 to 1000). An empty value takes the default.
    /// </summary>
    /// <exception cref="InvalidOperationException">A value is not valid; the message names the key, the value and what is valid.</exception>
    public static LogSettings From(IConfiguration configuration, string defaultDirectory, string defaultFileName, string defaultJsonFileName)
    {
        var section = configuration.GetSection(Section);
        var directory = section["dir"] is { Length: > 0 } dir ? dir : defaultDirectory;
        var levelText = section["level"] ?? "Information";
        if (!Enum.TryParse<LogEventLevel>(levelText, ignoreCase: true, out var level) || !Enum.IsDefined(level))
        {
            throw new InvalidOperationException(
                $"{Section}:level = '{levelText}' is not a log level; use Verbose, Debug, Information, Warning, Error or Fatal");
        }

        var rollingText = section["rolling"] ?? "size";
        if (!Enum.TryParse<LogRolling>(rollingText, ignoreCase: true, out var rolling) || !Enum.IsDefined(rolling))
        {
            throw new InvalidOperationException($"{Section}:rolling = '{rollingText}' is not valid; use size, day or hour");
        }

        var retained = ParseInt(section, "retained-files", 7, 1, 1000);
        var sizeLimit = section["file-size-limit"] is { Length: > 0 } sizeText
            ? ParseSize(sizeText)
            : 64L * 1024 * 1024;
        return new LogSettings(
            directory,
            level,
            FileNameOrDefault(section, "file", defaultFileName),
            FileNameOrDefault(section, "json-file", defaultJsonFileName),
            rolling,
            sizeLimit,
            retained);
    }

    /// <summary>
    /// Writes the folder and file names in use back into <paramref name="configuration"/>, so that
    /// <c>process.started</c> reports them rather than the empty settings that chose the defaults.
    /// </summary>
    public void ReportIn(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        configuration[$"{Section}:dir"] = Directory;
        configuration[$"{Section}:file"] = FileName;
        configuration[$"{Section}:json-file"] = JsonFileName;
    }

    /// <summary>Serilog's own rolling interval for <see cref="Rolling"/>.</summary>
    public RollingInterval RollingInterval => Rolling switch
    {
        LogRolling.Day => RollingInterval.Day,
        LogRolling.Hour => RollingInterval.Hour,
        _ => RollingInterval.Infinite,
    };

    private static string FileNameOrDefault(IConfigurationSection section, string key, string fallback)
    {
        var name = section[key] is { Length: > 0 } value ? value : fallback;
        if (name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
        {
            throw new InvalidOperationException($"{Section}:{key} = '{name}' must be a plain file name, without a directory");
        }

        return name;
    }

    private static int ParseInt(IConfigurationSection section, string key, int fallback, int min, int max)
    {
        var text = section[key];
        if (string.IsNullOrEmpty(text))
        {
            return fallback;
        }

        return int.TryParse(text, out var value) && value >= min && value <= max
            ? value
            : throw new InvalidOperationException($"{Section}:{key} = '{text}' must be a whole number from {min} to {max}");
    }

    private static long ParseSize(string text) =>
        ConfigurationValues.TryParseSize(text, out var bytes)
            ? bytes >= 1024
                ? bytes
                : throw new InvalidOperationException($"{Section}:file-size-limit = '{text}' must be at least 1KiB")
            : throw new InvalidOperationException($"{Section}:file-size-limit = '{text}' is not a size: expected {ConfigurationValues.SizeForms}");
}
