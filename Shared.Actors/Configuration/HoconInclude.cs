namespace LayerLock.Actors.Configuration;

/// <summary>The members of an included file, merged in place of the <c>include</c> directive.</summary>
internal sealed class HoconInclude(IReadOnlyList<HoconMember> members, HoconPosition position) : HoconMember(position)
{
    public IReadOnlyList<HoconMember> Members { get; } = members;
}
