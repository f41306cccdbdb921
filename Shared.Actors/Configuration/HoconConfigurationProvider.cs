using Microsoft.Extensions.Configuration;

namespace LayerLock.Actors.Configuration;

/// <summary>
/// Loads a HOCON file into configuration keys. As with the JSON provider, a parse error surfaces as an
/// <see cref="InvalidDataException"/> whose inner exception is the <see cref="HoconParseException"/>.
/// Included files are read at load time but not watched for changes.
/// </summary>
public sealed class HoconConfigurationProvider(HoconConfigurationSource source) : FileConfigurationProvider(source)
{
    public override void Load(Stream stream)
    {
        var displayName = Source.Path ?? "hocon";
        var physicalPath = Source.Path is null ? null : Source.FileProvider?.GetFileInfo(Source.Path).PhysicalPath;
        Data = new Dictionary<string, string?>(
            HoconReader.ReadStream(stream, displayName, physicalPath),
            StringComparer.OrdinalIgnoreCase);
    }
}
