namespace LayerLock.Actors.Configuration;

internal enum HoconScalarKind
{
    /// <summary>A quoted string, an environment value or the result of a concatenation: kept verbatim.</summary>
    String,

    /// <summary>A single unquoted token: <c>true</c>, <c>on</c> and <c>null</c> are read as boolean and null.</summary>
    Unquoted,

    /// <summary>Whitespace between two parts of a concatenation.</summary>
    Whitespace,
}
