namespace LayerLock.Actors.Configuration;

/// <summary>
/// One lexical token. <see cref="Path"/> and <see cref="Optional"/> are set only for substitutions.
/// </summary>
internal readonly record struct HoconToken(
    HoconTokenKind Kind,
    string Text,
    HoconPosition Position,
    HoconPath? Path = null,
    bool Optional = false)
{
    /// <summary>How the token reads in an error message ("found X").</summary>
    public string Describe() => Kind switch
    {
        HoconTokenKind.EndOfFile => "end of file",
        HoconTokenKind.Newline => "end of line",
        HoconTokenKind.Whitespace => "whitespace",
        HoconTokenKind.QuotedString => $"string \"{Text}\"",
        HoconTokenKind.Substitution => $"'{Text}'",
        _ => $"'{Text}'",
    };
}
