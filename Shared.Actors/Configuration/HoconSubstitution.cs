namespace LayerLock.Actors.Configuration;

/// <summary><c>${path}</c>, or <c>${?path}</c> when <see cref="Optional"/>.</summary>
internal sealed class HoconSubstitution(HoconPath path, bool optional, HoconPosition position) : HoconValue(position)
{
    public HoconPath Path { get; } = path;

    public bool Optional { get; } = optional;

    public override string ToString() => Optional ? $"${{?{Path}}}" : $"${{{Path}}}";
}
