using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace LayerLock.Hosting;

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
    public static Dictionary<string, string> EffectiveSettings(IConfiguration configuration) =>
        configuration.GetSection("layerlock").AsEnumerable()
            .Where(setting => setting.Value is not null)
            .OrderBy(setting => setting.Key, StringComparer.Ordinal)
            .ToDictionary(
                setting => setting.Key,
                setting => IsSecret(setting.Key) && setting.Value!.Length > 0 ? Redacted : setting.Value!,
                StringComparer.Ordinal);

    public static void Log(ILogger logger, string process, Assembly assembly, IConfiguration configuration) =>
        LogStarted(logger, process, VersionOf(assembly), Environment.ProcessId, EffectiveSettings(configuration));

    internal static bool IsSecret(string key)
    {
        var last = key[(key.LastIndexOf(':') + 1)..];
        return SecretWords.Any(word => last.Contains(word, StringComparison.OrdinalIgnoreCase));
    }

    [LoggerMessage(EventId = 100, EventName = "process.started", Level = LogLevel.Information,
        Message = "process.started {Process} {Version} pid {Pid} with settings {@Settings}")]
    private static partial void LogStarted(ILogger logger, string process, string version, int pid, Dictionary<string, string> settings);
}
