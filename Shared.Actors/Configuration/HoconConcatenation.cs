namespace LayerLock.Actors.Configuration;

/// <summary>
/// Values written side by side on one line (<c>"http://"${host}":"${port}</c>, <c>foo bar</c>,
/// <c>${base} { extra = 1 }</c>). Whitespace between parts is kept as <see cref="HoconScalarKind.Whitespace"/>.
/// </summary>
internal sealed class HoconConcatenation(IReadOnlyList<HoconValue> parts, HoconPosition position) : HoconValue(position)
{
    public IReadOnlyList<HoconValue> Parts { get; } = parts;
}
