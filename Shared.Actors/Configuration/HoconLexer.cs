using System.Globalization;
using System.Text;

namespace LayerLock.Actors.Configuration;

/// <summary>
/// Splits HOCON text into tokens. Comments are dropped; inline whitespace is kept as a token
/// because it is significant inside value concatenations (<c>foo bar</c>).
/// </summary>
internal sealed class HoconLexer(string text, string file)
{
    private const string ForbiddenCharacters = "$\"{}[]:=,+#`^?!@*&\\";

    private readonly List<HoconToken> _tokens = [];
    private int _index;
    private int _line = 1;
    private int _column = 1;

    public static bool IsForbidden(char c) => ForbiddenCharacters.Contains(c);

    public List<HoconToken> Tokenize()
    {
        while (_index < text.Length)
        {
            var c = text[_index];
            var position = Position;
            switch (c)
            {
                case '\n':
                    Advance();
                    _tokens.Add(new HoconToken(HoconTokenKind.Newline, "\n", position));
                    break;
                case '\r' when Peek(1) == '\n':
                    Advance();
                    break;
                case '#':
                    SkipComment();
                    break;
                case '/' when Peek(1) == '/':
                    SkipComment();
                    break;
                case '{':
                    Punctuation(HoconTokenKind.LeftBrace, 1);
                    break;
                case '}':
                    Punctuation(HoconTokenKind.RightBrace, 1);
                    break;
                case '[':
                    Punctuation(HoconTokenKind.LeftBracket, 1);
                    break;
                case ']':
                    Punctuation(HoconTokenKind.RightBracket, 1);
                    break;
                case ',':
                    Punctuation(HoconTokenKind.Comma, 1);
                    break;
                case '=':
                    Punctuation(HoconTokenKind.Equals, 1);
                    break;
                case ':':
                    Punctuation(HoconTokenKind.Colon, 1);
                    break;
                case '+' when Peek(1) == '=':
                    Punctuation(HoconTokenKind.PlusEquals, 2);
                    break;
                case '"':
                    _tokens.Add(Peek(1) == '"' && Peek(2) == '"' ? ReadTripleQuoted() : ReadQuoted());
                    break;
                case '$' when Peek(1) == '{':
                    _tokens.Add(ReadSubstitution());
                    break;
                default:
                    if (IsInlineWhitespace(c))
                    {
                        _tokens.Add(ReadWhitespace());
                    }
                    else if (c == '$')
                    {
                        throw new HoconParseException(position, "expected '${' to start a substitution but found '$' (quote strings that contain it)");
                    }
                    else if (IsForbidden(c))
                    {
                        throw new HoconParseException(
                            position,
                            $"expected a key, a value or punctuation but found '{c}' (quote strings that contain it)");
                    }
                    else
                    {
                        _tokens.Add(new HoconToken(HoconTokenKind.UnquotedText, ReadUnquoted(), position));
                    }

                    break;
            }
        }

        _tokens.Add(new HoconToken(HoconTokenKind.EndOfFile, "", Position));
        return _tokens;
    }

    private HoconPosition Position => new(file, _line, _column);

    private char Peek(int offset) => _index + offset < text.Length ? text[_index + offset] : '\0';

    private static bool IsInlineWhitespace(char c) => c != '\n' && (char.IsWhiteSpace(c) || c == '\uFEFF');

    private void Advance()
    {
        if (text[_index] == '\n')
        {
            _line++;
            _column = 1;
        }
        else
        {
            _column++;
        }

        _index++;
    }

    private void Punctuation(HoconTokenKind kind, int length)
    {
        var position = Position;
        var value = text.Substring(_index, length);
        for (var i = 0; i < length; i++)
        {
            Advance();
        }

        _tokens.Add(new HoconToken(kind, value, position));
    }

    private void SkipComment()
    {
        while (_index < text.Length && text[_index] != '\n')
        {
            Advance();
        }
    }

    private HoconToken ReadWhitespace()
    {
        var position = Position;
        var start = _index;
        while (_index < text.Length && IsInlineWhitespace(text[_index]))
        {
            Advance();
        }

        return new HoconToken(HoconTokenKind.Whitespace, text[start.._index], position);
    }

    private string ReadUnquoted()
    {
        var start = _index;
        while (_index < text.Length)
        {
            var c = text[_index];
            if (char.IsWhiteSpace(c) || c == '\uFEFF' || IsForbidden(c) || (c == '/' && Peek(1) == '/'))
            {
                break;
            }

            Advance();
        }

        return text[start.._index];
    }

    private HoconToken ReadQuoted()
    {
        var position = Position;
        Advance();
        var value = new StringBuilder();
        while (true)
        {
            if (_index >= text.Length || text[_index] == '\n')
            {
                var found = _index >= text.Length ? "end of file" : "end of line";
                throw new HoconParseException(position, $"expected '\"' to close the string but found {found}");
            }

            var c = text[_index];
            if (c == '"')
            {
                Advance();
                return new HoconToken(HoconTokenKind.QuotedString, value.ToString(), position);
            }

            if (c == '\\')
            {
                value.Append(ReadEscape());
            }
            else
            {
                value.Append(c);
                Advance();
            }
        }
    }

    private string ReadEscape()
    {
        var position = Position;
        Advance();
        var c = Peek(0);
        switch (c)
        {
            case '"' or '\\' or '/':
                Advance();
                return c.ToString();
            case 'b':
                Advance();
                return "\b";
            case 'f':
                Advance();
                return "\f";
            case 'n':
                Advance();
                return "\n";
            case 'r':
                Advance();
                return "\r";
            case 't':
                Advance();
                return "\t";
            case 'u' when _index + 4 < text.Length
                && ushort.TryParse(text.AsSpan(_index + 1, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code):
                for (var i = 0; i < 5; i++)
                {
                    Advance();
                }

                return ((char)code).ToString();
            default:
                var found = c switch
                {
                    '\0' => "end of file",
                    '\n' => "end of line",
                    'u' => $"'\\{text.Substring(_index, Math.Min(5, text.Length - _index))}'",
                    _ => $"'\\{c}'",
                };
                throw new HoconParseException(
                    position,
                    $"expected an escape \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX but found {found}");
        }
    }

    private HoconToken ReadTripleQuoted()
    {
        var position = Position;
        for (var i = 0; i < 3; i++)
        {
            Advance();
        }

        var start = _index;
        while (_index < text.Length)
        {
            if (text[_index] == '"' && Peek(1) == '"' && Peek(2) == '"')
            {
                // Quotes beyond the closing three belong to the string: """a """" ends with a quote.
                var run = 0;
                while (Peek(run) == '"')
                {
                    run++;
                }

                var value = text[start..(_index + run - 3)];
                for (var i = 0; i < run; i++)
                {
                    Advance();
                }

                return new HoconToken(HoconTokenKind.QuotedString, value, position);
            }

            Advance();
        }

        throw new HoconParseException(position, "expected '\"\"\"' to close the string but found end of file");
    }

    private HoconToken ReadSubstitution()
    {
        var position = Position;
        var start = _index;
        Advance();
        Advance();
        var optional = Peek(0) == '?';
        if (optional)
        {
            Advance();
        }

        var path = new HoconPathBuilder();
        while (true)
        {
            var c = Peek(0);
            if (c == '}' && _index < text.Length)
            {
                Advance();
                var raw = text[start.._index];
                if (path.IsEmpty)
                {
                    throw new HoconParseException(position, $"expected a path inside the substitution but found '{raw}'");
                }

                return new HoconToken(HoconTokenKind.Substitution, raw, position, path.Build(position), optional);
            }

            if (c == '"')
            {
                path.AppendQuoted(ReadQuoted().Text);
            }
            else if (_index < text.Length && !char.IsWhiteSpace(c) && !IsForbidden(c) && !(c == '/' && Peek(1) == '/'))
            {
                path.AppendUnquoted(ReadUnquoted());
            }
            else
            {
                var found = _index >= text.Length ? "end of file" : c == '\n' ? "end of line" : $"'{c}'";
                throw new HoconParseException(
                    position,
                    $"expected '}}' to close the substitution '{text[start.._index]}' but found {found}");
            }
        }
    }
}
