namespace LayerLock.Actors.Configuration;

/// <summary>One entry of an object literal: a <see cref="HoconField"/> or a <see cref="HoconInclude"/>.</summary>
internal abstract class HoconMember(HoconPosition position)
{
    public HoconPosition Position { get; } = position;
}
