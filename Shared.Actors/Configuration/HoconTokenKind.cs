namespace LayerLock.Actors.Configuration;

internal enum HoconTokenKind
{
    EndOfFile,
    Newline,
    Whitespace,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Comma,
    Equals,
    Colon,
    PlusEquals,
    QuotedString,
    UnquotedText,
    Substitution,
}
