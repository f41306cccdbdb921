using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace LayerLock.Actors.Hosting;

/// <summary>What every process logs first: its version and its effective configuration, secrets redacted.</summary>
public static partial class StartupReport
{
    public const string Redacted = "***";

    // Segments that name a secret; matched against the last segment of each key.
    private static readonly string[] SecretWords = ["token", "password", "secret", "credential", "apikey", "api-key"];

    /// <summary>The informational version of <paramref name="assembly"/> (e.g. "0.1.0+abc123"), or "unknown".</summary>
    public static string VersionOf(Assembly assembly) =>
        assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
        ?? assembly.GetName().Version?.ToString()
        ?? "unknown";

    /// <summary>
    /// Every key under <c>layerlock</c> with its effective value, sorted; a secret with a value
    /// shows as <see cref="Redacted"/>.
    /// </summary>
    public static SortedDictionary<string, string> EffectiveSettings(IConfiguration configuration)
    {
        var settings = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in configuration.GetSection("layerlock").AsEnumerable())
        {
            if (value is null)
            {
                continue;
            }

            settings[key] = IsSecret(key) && value.Length > 0 ? Redacted : value;
        }

        return settings;
    }

    public static void Log(ILogger logger, string process, Assembly assembly, IConfiguration configuration) =>
        LogStarted(logger, process, VersionOf(assembly), Environment.ProcessId, EffectiveSettings(configuration));

    internal static bool IsSecret(string key)
    {
        var last = key[(key.LastIndexOf(':') + 1)..];
        return SecretWords.Any(word => last.Contains(word, StringComparison.OrdinalIgnoreCase));
    }

    [LoggerMessage(EventId = 100, EventName = "process.started", Level = LogLevel.Information,
        Message = "process.started {Process} {Version} pid {Pid} with settings {@Settings}")]
    private static partial void LogStarted(ILogger logger, string process, string version, int pid, SortedDictionary<string, string> settings);
}
