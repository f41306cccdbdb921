using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>A HOCON file as a configuration source; see <see cref="AkkaHoconConfigurationExtensions.AddHoconFile"/>.</summary>
public sealed class AkkaHoconFileSource : FileConfigurationSource
{
    /// <summary>How errors name the file: the path as it was given. Default <see cref="FileConfigurationSource.Path"/>.</summary>
    public string? FileName { get; set; }

    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new AkkaHoconFileProvider(this);
    }
}
