using System.Collections;
using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>
/// Environment variables as configuration keys, beside <c>AddEnvironmentVariables()</c> (which takes
/// <c>layerlock__agent__node=…</c> as written): variables with names of their own (the seed's
/// <c>NODE_ID</c>, <c>LOCK_SERVER_URL</c>, <c>CONTENTD_SOCKET</c>; <c>LAYERLOCK_ADDR</c>,
/// <c>LAYERLOCK_TOKEN</c>), which replace the <c>${?VAR}</c> lines Akka's parser does not read, and
/// the shell-friendly form of setting names (<c>AKKA__REMOTE__DOT_NETTY__TCP__PORT=4053</c>).
/// </summary>
public static class EnvironmentVariablesExtensions
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

    /// <summary>
    /// Adds the variables whose names start with one of <paramref name="roots"/> and "__" (case
    /// ignored), read the way Akka.Hosting documents for its own: lower-cased, "__" separating
    /// segments and "_" standing for "-", since a shell cannot export a name with '-'.
    /// <c>AKKA__REMOTE__DOT_NETTY__TCP__PORT=4053</c> sets <c>akka:remote:dot-netty:tcp:port</c>,
    /// <c>LAYERLOCK__COORDINATOR__STATE_DIR=/var/lib/ll</c> sets <c>layerlock:coordinator:state-dir</c>.
    /// </summary>
    /// <param name="roots">Setting roots, e.g. "layerlock" and "akka".</param>
    /// <param name="environment">The variables to read; default the process environment.</param>
    public static IConfigurationBuilder AddShellStyleEnvironmentVariables(
        this IConfigurationBuilder builder,
        IReadOnlyCollection<string> roots,
        IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(roots);
        environment ??= Environment.GetEnvironmentVariables();
        var settings = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (DictionaryEntry variable in environment)
        {
            var name = (string)variable.Key;
            if (roots.Any(root => name.StartsWith(root + "__", StringComparison.OrdinalIgnoreCase)))
            {
                var key = name.ToLowerInvariant().Replace("__", ConfigurationPath.KeyDelimiter, StringComparison.Ordinal).Replace('_', '-');
                settings[key] = variable.Value as string;
            }
        }

        return builder.AddInMemoryCollection(settings);
    }
}
