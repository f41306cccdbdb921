namespace LayerLock.Actors.Configuration;

/// <summary>
/// An object written over a value that is not known until substitutions resolve
/// (<c>a = ${b}</c> then <c>a { x = 1 }</c>): if the earlier value turns out to be an object the two
/// merge, otherwise the later object replaces it.
/// </summary>
internal sealed class HoconDeferredMerge(HoconValue earlier, HoconObject later) : HoconValue(later.Position)
{
    public HoconValue Earlier { get; } = earlier;

    public HoconObject Later { get; } = later;
}
