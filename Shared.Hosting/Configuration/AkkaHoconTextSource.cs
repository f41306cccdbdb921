using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>HOCON text as a configuration source; see <see cref="AkkaHoconConfigurationExtensions.AddHoconString"/>.</summary>
/// <param name="text">The HOCON document.</param>
/// <param name="name">How errors name the text.</param>
/// <param name="baseDirectory">Where <c>include "name"</c> is looked up; null = the current directory.</param>
public sealed class AkkaHoconTextSource(string text, string name, string? baseDirectory) : IConfigurationSource
{
    public IConfigurationProvider Build(IConfigurationBuilder builder) =>
        new AkkaHoconTextProvider(text, name, baseDirectory ?? Directory.GetCurrentDirectory());
}
