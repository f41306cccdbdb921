namespace LayerLock.Actors.Configuration;

/// <summary>
/// A value that needs substitutions resolved, with what the resolver needs to finish it: the value it
/// replaced (kept when an optional substitution is undefined, and the target of a self-reference),
/// its own path, and the include point its substitutions are relative to.
/// </summary>
internal sealed class HoconPending(
    HoconValue expression,
    HoconValue? previous,
    string[] ownPath,
    string[] includePrefix) : HoconValue(expression.Position)
{
    public HoconValue Expression { get; } = expression;

    public HoconValue? Previous { get; } = previous;

    public string[] OwnPath { get; } = ownPath;

    public string[] IncludePrefix { get; } = includePrefix;

    public HoconPendingState State { get; set; }

    /// <summary>The resolved value; null when it resolved to nothing (an undefined optional substitution).</summary>
    public HoconValue? Result { get; set; }

    /// <summary>How many substitution look-ups were open when resolution of this value began.</summary>
    public int LookupDepth { get; set; }
}
