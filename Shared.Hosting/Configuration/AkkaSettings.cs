using Akka.Configuration;
using Akka.Hosting;
using Akka.Hosting.Configuration;
using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>
/// The <c>akka { … }</c> settings of the final configuration (HOCON file, then environment, then
/// flags) handed back to Akka, the Akka.Hosting way: <see cref="AkkaHostingExtensions.AddHocon(AkkaConfigurationBuilder, IConfiguration, HoconAddMode, bool)"/>.
/// </summary>
/// <remarks>
/// Akka.Hosting rebuilds the HOCON from the configuration keys: keys are lower-cased, '_' becomes '-'
/// (so <c>AKKA__REMOTE__DOT_NETTY__TCP__PORT=4053</c> sets <c>akka.remote.dot-netty.tcp.port</c>),
/// and '.' inside a key splits it. Settings whose keys are case-sensitive or hold dots (serializer
/// bindings by type name) therefore belong in code (<c>WithCustomSerializer</c>), not in the files.
/// </remarks>
public static class AkkaSettings
{
    /// <summary>The configuration section handed to Akka.</summary>
    public const string Section = "akka";

    /// <summary>
    /// Puts the <c>akka</c> section of <paramref name="configuration"/> in front of everything the
    /// builder holds so far (<see cref="HoconAddMode.Prepend"/>): call it after code-based options
    /// such as <c>WithRemoting</c> so the files, environment and flags win. Without an
    /// <c>akka</c> section it changes nothing.
    /// </summary>
    /// <example><code>
    /// services.AddAkka("layerlock", (akka, _) => akka
    ///     .WithRemoting(hostname: "127.0.0.1", port: 4053)
    ///     .AddLayerLockAkkaSettings(configuration));
    /// </code></example>
    public static AkkaConfigurationBuilder AddLayerLockAkkaSettings(this AkkaConfigurationBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var akka = configuration.GetSection(Section);
        return akka.Exists() ? builder.AddHocon(akka, HoconAddMode.Prepend) : builder;
    }

    /// <summary>
    /// The <c>akka</c> section of <paramref name="configuration"/> as an Akka <see cref="Config"/>
    /// (<c>akka.remote.dot-netty.tcp.port</c> and so on), built the same way; <see cref="Config.Empty"/>
    /// without an <c>akka</c> section.
    /// </summary>
    public static Config ToAkkaConfig(IConfiguration configuration)
    {
        var akka = configuration.GetSection(Section);
        return akka.Exists() ? akka.ToHocon() : Config.Empty;
    }
}
