using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>HOCON files and text, read by Akka's own parser, as configuration sources.</summary>
public static class AkkaHoconConfigurationExtensions
{
    /// <summary>
    /// Adds a HOCON file. Keys are flattened with ':' (<c>layerlock.log.dir</c> becomes
    /// <c>layerlock:log:dir</c>), so sources added later (environment, command line) override them.
    /// A relative path is resolved against the builder's base path, as with <c>AddJsonFile</c>;
    /// <c>include "name"</c> inside it is resolved relative to the file.
    /// </summary>
    /// <remarks>
    /// Akka's parser handles objects, dotted keys, <c>=</c>/<c>:</c>/<c>{</c>, quoted and unquoted
    /// strings, arrays, comments, <c>${path}</c> and <c>include "file"</c>. It does not read
    /// environment variables: <c>${?VAR}</c>, <c>+=</c> and <c>include file(…)</c> are refused with
    /// an error instead of being misread.
    /// </remarks>
    /// <exception cref="InvalidDataException">At <c>Build()</c>: the file cannot be used; the inner
    /// exception is the <see cref="ConfigurationFileException"/> whose message is the one line to show.</exception>
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
        return builder.Add<AkkaHoconFileSource>(source =>
        {
            source.Path = path;
            source.FileName = path;
            source.Optional = optional;
            source.ReloadOnChange = reloadOnChange;
            source.ResolveFileProvider();
        });
    }

    /// <summary>Adds HOCON text, e.g. for tests. Errors name the text as <paramref name="name"/>.</summary>
    /// <param name="baseDirectory">Where <c>include "name"</c> is looked up. Default the current directory.</param>
    /// <exception cref="ConfigurationFileException">At <c>Build()</c>: the text cannot be used.</exception>
    public static IConfigurationBuilder AddHoconString(
        this IConfigurationBuilder builder,
        string text,
        string name = "inline",
        string? baseDirectory = null) =>
        builder.Add(new AkkaHoconTextSource(text, name, baseDirectory));
}
