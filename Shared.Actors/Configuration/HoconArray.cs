namespace LayerLock.Actors.Configuration;

internal sealed class HoconArray(IReadOnlyList<HoconValue> items, HoconPosition position) : HoconValue(position)
{
    public IReadOnlyList<HoconValue> Items { get; } = items;
}
