using Microsoft.Extensions.Configuration;

namespace LayerLock.Actors.Configuration;

/// <summary>HOCON text as a configuration source; see <see cref="HoconConfigurationBuilderExtensions.AddHoconString"/>.</summary>
public sealed class HoconStringConfigurationSource : IConfigurationSource
{
    public required string Text { get; init; }

    /// <summary>The name parse errors report the text under. Default "inline".</summary>
    public string Name { get; init; } = "inline";

    /// <summary>Where relative includes are looked up. Default the current directory.</summary>
    public string? BaseDirectory { get; init; }

    public IConfigurationProvider Build(IConfigurationBuilder builder) => new HoconStringConfigurationProvider(this);
}
