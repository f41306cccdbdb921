using Microsoft.Extensions.Configuration;

namespace LayerLock.Actors.Configuration;

/// <summary>Loads HOCON text into configuration keys; a parse error throws <see cref="HoconParseException"/>.</summary>
public sealed class HoconStringConfigurationProvider(HoconStringConfigurationSource source) : ConfigurationProvider
{
    public override void Load() =>
        Data = new Dictionary<string, string?>(
            HoconReader.ReadString(source.Text, source.Name, source.BaseDirectory),
            StringComparer.OrdinalIgnoreCase);
}
