using LayerLock.Actors.Configuration;
using Microsoft.Extensions.Configuration;

namespace LayerLock.Actors.Hosting;

/// <summary>
/// Builds a process's configuration: the HOCON file, then environment variables
/// (<c>layerlock__coordinator__addr=…</c>), then command-line flags; later sources win.
/// </summary>
public static class LayerLockConfiguration
{
    /// <summary>The flag that names the HOCON file; it is not itself a setting.</summary>
    public const string ConfigFlag = "--config";

    /// <param name="args">Flags: the <paramref name="switches"/>, <c>--config FILE</c>, and
    /// <c>--layerlock:any:key=value</c> for any setting.</param>
    /// <param name="defaultConfigFile">Used when <c>--config</c> is absent: looked up in the working
    /// directory first, then beside the program (where the build copies <c>hocon/</c>).</param>
    /// <param name="switches">Short flags and the setting each sets, e.g. <c>--addr</c> → <c>layerlock:coordinator:addr</c>.</param>
    /// <exception cref="CommandLineException">An unknown flag, a flag without a value, or a missing file.</exception>
    public static IConfigurationRoot Build(string[] args, string defaultConfigFile, IReadOnlyDictionary<string, string> switches)
    {
        var (configFile, settingArgs) = SplitArgs(args, switches);
        var explicitFile = configFile is not null;
        configFile ??= Locate(defaultConfigFile);
        if (!File.Exists(configFile))
        {
            throw new CommandLineException(explicitFile
                ? $"config file '{configFile}' does not exist"
                : $"config file '{defaultConfigFile}' was found neither in the working directory nor beside the program; pass {ConfigFlag} FILE");
        }

        return new ConfigurationBuilder()
            .AddHoconFile(Path.GetFullPath(configFile))
            .AddEnvironmentVariables()
            .AddCommandLine(settingArgs, switches.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal))
            .Build();
    }

    private static (string? ConfigFile, string[] SettingArgs) SplitArgs(string[] args, IReadOnlyDictionary<string, string> switches)
    {
        string? configFile = null;
        var settingArgs = new List<string>();
        for (var i = 0; i < args.Length; i++)
        {
            var (flag, inlineValue) = args[i].IndexOf('=') is var eq and > 0 ? (args[i][..eq], args[i][(eq + 1)..]) : (args[i], null);
            if (!flag.StartsWith("--", StringComparison.Ordinal))
            {
                throw new CommandLineException($"unexpected argument '{args[i]}'; flags look like --name value");
            }

            var known = flag == ConfigFlag || switches.ContainsKey(flag) || flag.StartsWith("--layerlock:", StringComparison.OrdinalIgnoreCase);
            if (!known)
            {
                var valid = string.Join(", ", switches.Keys.Append(ConfigFlag).Order(StringComparer.Ordinal));
                throw new CommandLineException($"unknown flag '{flag}'; valid flags: {valid}, or --layerlock:<setting>=<value>");
            }

            var value = inlineValue;
            if (value is null)
            {
                if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    throw new CommandLineException($"flag '{flag}' needs a value");
                }

                value = args[++i];
            }

            if (flag == ConfigFlag)
            {
                configFile = value;
            }
            else
            {
                settingArgs.Add($"{flag}={value}");
            }
        }

        return (configFile, [.. settingArgs]);
    }

    private static string Locate(string relativePath)
    {
        if (File.Exists(relativePath))
        {
            return relativePath;
        }

        var besideProgram = Path.Combine(AppContext.BaseDirectory, relativePath);
        return File.Exists(besideProgram) ? besideProgram : relativePath;
    }
}

/// <summary>Bad command-line input; its message is the one line shown to the user.</summary>
public sealed class CommandLineException(string message) : Exception(message);
