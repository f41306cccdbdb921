namespace LayerLock.Actors.Configuration;

internal sealed class HoconField(HoconPath key, HoconValue value, HoconPosition position) : HoconMember(position)
{
    public HoconPath Key { get; } = key;

    public HoconValue Value { get; } = value;
}
