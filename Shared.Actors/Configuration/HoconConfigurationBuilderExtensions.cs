using Microsoft.Extensions.Configuration;

namespace LayerLock.Actors.Configuration;

public static class HoconConfigurationBuilderExtensions
{
    /// <summary>
    /// Adds a HOCON file. Keys are flattened with ':' (<c>layerlock.log.dir</c> becomes
    /// <c>layerlock:log:dir</c>), so sources added later (environment, command line) override them.
    /// A relative path is resolved against the builder's base path, as with <c>AddJsonFile</c>.
    /// </summary>
    /// <example><code>
    /// new ConfigurationBuilder()
    ///     .AddHoconFile("/etc/layerlock/coordinator.conf")
    ///     .AddEnvironmentVariables()
    ///     .AddCommandLine(args)
    ///     .Build();
    /// </code></example>
    public static IConfigurationBuilder AddHoconFile(
        this IConfigurationBuilder builder,
        string path,
        bool optional = false,
        bool reloadOnChange = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return builder.Add<HoconConfigurationSource>(source =>
        {
            source.Path = path;
            source.Optional = optional;
            source.ReloadOnChange = reloadOnChange;
            source.ResolveFileProvider();
        });
    }

    /// <summary>Adds HOCON text, e.g. for tests. Parse errors name the text as <paramref name="name"/>.</summary>
    public static IConfigurationBuilder AddHoconString(
        this IConfigurationBuilder builder,
        string text,
        string name = "inline",
        string? baseDirectory = null) =>
        builder.Add(new HoconStringConfigurationSource { Text = text, Name = name, BaseDirectory = baseDirectory });
}
