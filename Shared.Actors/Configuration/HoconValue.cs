namespace LayerLock.Actors.Configuration;

/// <summary>
/// A node of a HOCON document. Parsing yields scalars, arrays, object literals, substitutions and
/// concatenations; merging turns object literals into <see cref="HoconObject"/> and wraps anything
/// that needs a substitution in <see cref="HoconPending"/>.
/// </summary>
internal abstract class HoconValue(HoconPosition position)
{
    public HoconPosition Position { get; } = position;
}
