using Microsoft.Extensions.Configuration;

namespace LayerLock.Actors.Configuration;

/// <summary>A HOCON file as a configuration source; see <see cref="HoconConfigurationBuilderExtensions.AddHoconFile"/>.</summary>
public sealed class HoconConfigurationSource : FileConfigurationSource
{
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new HoconConfigurationProvider(this);
    }
}
