using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>Loads HOCON text with Akka's parser; an error throws <see cref="ConfigurationFileException"/>.</summary>
internal sealed class AkkaHoconTextProvider(string text, string name, string baseDirectory) : ConfigurationProvider
{
    public override void Load() => Data = ConfigFlattener.Flatten(AkkaHocon.ReadText(text, name, baseDirectory, null));
}
