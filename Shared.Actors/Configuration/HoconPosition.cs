namespace LayerLock.Actors.Configuration;

/// <summary>A 1-based line and column in a named HOCON source.</summary>
internal readonly record struct HoconPosition(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}
