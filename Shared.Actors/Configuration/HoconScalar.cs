namespace LayerLock.Actors.Configuration;

internal sealed class HoconScalar(string text, HoconScalarKind kind, HoconPosition position) : HoconValue(position)
{
    public string Text { get; } = text;

    public HoconScalarKind Kind { get; } = kind;
}
