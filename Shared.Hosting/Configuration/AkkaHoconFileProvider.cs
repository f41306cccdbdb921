using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>
/// Loads a HOCON file with Akka's parser into configuration keys. As with the JSON provider, an
/// error surfaces as an <see cref="InvalidDataException"/> whose inner exception is the
/// <see cref="ConfigurationFileException"/>. Included files are read at load time but not watched.
/// </summary>
public sealed class AkkaHoconFileProvider(AkkaHoconFileSource source) : FileConfigurationProvider(source)
{
    public override void Load(Stream stream)
    {
        var fileName = source.FileName ?? Source.Path ?? "hocon";
        var physicalPath = Source.Path is null ? null : Source.FileProvider?.GetFileInfo(Source.Path).PhysicalPath;
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        var config = AkkaHocon.ReadText(text, fileName, physicalPath is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(physicalPath)!, physicalPath);
        Data = ConfigFlattener.Flatten(config);
    }
}
