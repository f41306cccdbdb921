using System.Collections;
using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>
/// Environment variables with names of their own (the seed's <c>NODE_ID</c>, <c>LOCK_SERVER_URL</c>,
/// <c>CONTENTD_SOCKET</c>; <c>LAYERLOCK_ADDR</c>, <c>LAYERLOCK_TOKEN</c>) as configuration keys.
/// They replace the <c>${?VAR}</c> lines the HOCON files had, which Akka's parser does not read.
/// </summary>
public static class EnvironmentAliasExtensions
{
    /// <summary>
    /// Adds each variable of <paramref name="aliases"/> that is set (an empty value counts as set)
    /// under the setting it names. Add it before <c>AddEnvironmentVariables()</c> so that the
    /// generic form (<c>layerlock__agent__node=…</c>) wins over an alias of the same setting.
    /// </summary>
    /// <param name="aliases">Variable name → setting key, e.g. <c>NODE_ID</c> → <c>layerlock:agent:node</c>.</param>
    /// <param name="environment">The variables to read; default the process environment.</param>
    public static IConfigurationBuilder AddEnvironmentAliases(
        this IConfigurationBuilder builder,
        IReadOnlyDictionary<string, string> aliases,
        IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(aliases);
        environment ??= Environment.GetEnvironmentVariables();
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (variable, setting) in aliases)
        {
            if (environment.Contains(variable))
            {
                settings[setting] = environment[variable] as string;
            }
        }

        return builder.AddInMemoryCollection(settings);
    }
}
