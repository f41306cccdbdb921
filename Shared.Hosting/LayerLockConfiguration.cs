using System.Collections;
using LayerLock.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting;

/// <summary>
/// Builds a process's configuration: the HOCON file (read by Akka's parser), then environment
/// variables, then command-line flags; later sources win.
/// </summary>
public static class LayerLockConfiguration
{
    /// <summary>The flag that names the HOCON file; it is not itself a setting.</summary>
    public const string ConfigFlag = "--config";

    // Any setting under these roots can be set by a flag (--layerlock:coordinator:addr=…, --akka:loglevel=…)
    // and by a shell-style environment variable (LAYERLOCK__COORDINATOR__STATE_DIR=…).
    private static readonly string[] SettingRoots = ["layerlock", "akka"];

    /// <param name="args">Flags: the <paramref name="switches"/>, <c>--config FILE</c>, and
    /// <c>--layerlock:any:key=value</c> or <c>--akka:any:key=value</c> for any setting.</param>
    /// <param name="defaultConfigFile">Used when <c>--config</c> is absent: looked up in the working
    /// directory first, then beside the program (where the build copies <c>hocon/</c>).</param>
    /// <param name="switches">Short flags and the setting each sets, e.g. <c>--addr</c> → <c>layerlock:coordinator:addr</c>.</param>
    /// <param name="environmentAliases">Environment variables with names of their own and the setting
    /// each sets, e.g. <c>NODE_ID</c> → <c>layerlock:agent:node</c>. Every setting also takes a variable
    /// in the generic form <c>layerlock__agent__node=…</c> (':' written as "__", as written or
    /// shell-style: <c>AKKA__REMOTE__DOT_NETTY__TCP__PORT</c>), which wins over an alias.</param>
    /// <param name="environment">The variables the aliases and the shell-style form are read from;
    /// default the process environment. The form as written is always read from the process environment.</param>
    /// <exception cref="CommandLineException">An unknown flag, a flag without a value, or a missing file.</exception>
    /// <exception cref="ConfigurationFileException">The HOCON file cannot be used; the message is
    /// <c>file:line[:column]: reason</c>.</exception>
    public static IConfigurationRoot Build(
        string[] args,
        string defaultConfigFile,
        IReadOnlyDictionary<string, string> switches,
        IReadOnlyDictionary<string, string>? environmentAliases = null,
        IDictionary? environment = null)
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

        var builder = new ConfigurationBuilder()
            .AddHoconFile(Path.GetFullPath(configFile))
            .AddEnvironmentAliases(environmentAliases ?? new Dictionary<string, string>(), environment)
            .AddEnvironmentVariables()
            .AddShellStyleEnvironmentVariables(SettingRoots, environment)
            .AddCommandLine(settingArgs, switches.ToDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal));
        try
        {
            return builder.Build();
        }
        catch (InvalidDataException error) when (error.InnerException is ConfigurationFileException file)
        {
            // The file provider wraps the one line worth showing in "Failed to load configuration from file".
            throw file;
        }
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

            var known = flag == ConfigFlag
                || switches.ContainsKey(flag)
                || SettingRoots.Any(root => flag.StartsWith($"--{root}:", StringComparison.OrdinalIgnoreCase) && flag.Length > root.Length + 3);
            if (!known)
            {
                var valid = string.Join(", ", switches.Keys.Append(ConfigFlag).Order(StringComparer.Ordinal));
                throw new CommandLineException($"unknown flag '{flag}'; valid flags: {valid}, or --layerlock:<setting>=<value> or --akka:<setting>=<value>");
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
