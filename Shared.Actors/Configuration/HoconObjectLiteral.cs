namespace LayerLock.Actors.Configuration;

/// <summary>An object as written: its fields and includes in document order, not yet merged.</summary>
internal sealed class HoconObjectLiteral(IReadOnlyList<HoconMember> members, HoconPosition position) : HoconValue(position)
{
    public IReadOnlyList<HoconMember> Members { get; } = members;
}
