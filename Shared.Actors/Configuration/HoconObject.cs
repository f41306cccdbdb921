namespace LayerLock.Actors.Configuration;

/// <summary>A merged object: one value per key, later definitions already applied.</summary>
internal sealed class HoconObject(HoconPosition position) : HoconValue(position)
{
    public Dictionary<string, HoconValue> Fields { get; } = new(StringComparer.Ordinal);

    /// <summary>Set once every field has been resolved in place.</summary>
    public bool IsResolved { get; set; }
}
