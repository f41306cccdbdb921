namespace LayerLock.Actors.Configuration;

/// <summary>
/// Turns tokens into an object literal, in document order and not yet merged.
/// Includes are read through the <see cref="HoconLoadContext"/> as they are met.
/// </summary>
internal sealed class HoconParser
{
    private readonly List<HoconToken> _tokens;
    private readonly HoconLoadContext _context;
    private readonly string _displayName;
    private readonly string _directory;
    private int _index;

    private HoconParser(string text, string displayName, string directory, HoconLoadContext context)
    {
        _tokens = new HoconLexer(text, displayName).Tokenize();
        _displayName = displayName;
        _directory = directory;
        _context = context;
    }

    /// <summary>Parses a document; <paramref name="displayName"/> names it in errors, <paramref name="directory"/> anchors relative includes.</summary>
    public static HoconObjectLiteral Parse(string text, string displayName, string directory, HoconLoadContext context) =>
        new HoconParser(text, displayName, directory, context).ParseRoot();

    private HoconToken Peek(int offset = 0) => _tokens[Math.Min(_index + offset, _tokens.Count - 1)];

    private HoconToken Next() => _tokens[Math.Min(_index++, _tokens.Count - 1)];

    private void SkipWhitespace()
    {
        while (Peek().Kind == HoconTokenKind.Whitespace)
        {
            _index++;
        }
    }

    private void SkipWhitespaceAndNewlines()
    {
        while (Peek().Kind is HoconTokenKind.Whitespace or HoconTokenKind.Newline)
        {
            _index++;
        }
    }

    private HoconObjectLiteral ParseRoot()
    {
        SkipWhitespaceAndNewlines();
        var first = Peek();
        if (first.Kind == HoconTokenKind.LeftBracket)
        {
            throw Expected("an object at the root of the document", first);
        }

        if (first.Kind != HoconTokenKind.LeftBrace)
        {
            return new HoconObjectLiteral(ParseMembers(null), first.Position);
        }

        var root = ParseObjectLiteral();
        SkipWhitespaceAndNewlines();
        if (Peek().Kind != HoconTokenKind.EndOfFile)
        {
            throw Expected("end of file after the root object's closing '}'", Peek());
        }

        return root;
    }

    private List<HoconMember> ParseMembers(HoconToken? open)
    {
        var members = new List<HoconMember>();
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var token = Peek();
            if (token.Kind == HoconTokenKind.EndOfFile)
            {
                if (open is { } brace)
                {
                    throw new HoconParseException(
                        brace.Position,
                        "expected '}' to close the object opened here but found end of file");
                }

                return members;
            }

            if (token.Kind == HoconTokenKind.RightBrace && open is not null)
            {
                _index++;
                return members;
            }

            var member = ParseMember();
            members.Add(member);

            SkipWhitespace();
            var after = Peek();
            if (after.Kind == HoconTokenKind.Comma)
            {
                _index++;
            }
            else if (after.Kind is not (HoconTokenKind.Newline or HoconTokenKind.EndOfFile)
                && !(after.Kind == HoconTokenKind.RightBrace && open is not null))
            {
                var what = member is HoconField field ? $"the value of '{field.Key}'" : "the include";
                throw Expected($"',' or a new line after {what}", after);
            }
        }
    }

    private HoconMember ParseMember()
    {
        if (IsIncludeDirective())
        {
            return ParseInclude();
        }

        var keyToken = Peek();
        var key = ParseKey();
        SkipWhitespace();
        var separator = Peek();
        HoconValue value;
        switch (separator.Kind)
        {
            case HoconTokenKind.Equals or HoconTokenKind.Colon:
                _index++;
                value = ParseRequiredValue(key, separator);
                break;
            case HoconTokenKind.PlusEquals:
                _index++;
                var appended = ParseRequiredValue(key, separator);
                // a += x is a = ${?a} [x]: the self-reference resolves to the earlier value of a.
                value = new HoconConcatenation(
                    [
                        new HoconSubstitution(key, optional: true, separator.Position),
                        new HoconArray([appended], appended.Position),
                    ],
                    separator.Position);
                break;
            case HoconTokenKind.LeftBrace:
                value = ParseObjectLiteral();
                break;
            default:
                throw Expected($"'=' , ':' or '{{' after key '{key}'", separator);
        }

        return new HoconField(key, value, keyToken.Position);
    }

    private HoconPath ParseKey()
    {
        var start = Peek();
        var builder = new HoconPathBuilder();
        while (true)
        {
            var token = Peek();
            if (token.Kind == HoconTokenKind.UnquotedText)
            {
                builder.AppendUnquoted(token.Text);
            }
            else if (token.Kind == HoconTokenKind.QuotedString)
            {
                builder.AppendQuoted(token.Text);
            }
            else if (token.Kind == HoconTokenKind.Whitespace
                && !builder.IsEmpty
                && Peek(1).Kind is HoconTokenKind.UnquotedText or HoconTokenKind.QuotedString)
            {
                builder.AppendWhitespace(token.Text);
            }
            else
            {
                break;
            }

            _index++;
        }

        if (builder.IsEmpty)
        {
            throw Expected("a key", start);
        }

        return builder.Build(start.Position);
    }

    private HoconValue ParseRequiredValue(HoconPath key, HoconToken separator)
    {
        SkipWhitespace();
        return ParseValue() ?? throw Expected($"a value after '{separator.Text}' for key '{key}'", Peek());
    }

    /// <summary>Reads one value or a concatenation of values; null when no value starts here.</summary>
    private HoconValue? ParseValue()
    {
        var parts = new List<HoconValue>();
        while (true)
        {
            var token = Peek();
            HoconValue? part = token.Kind switch
            {
                HoconTokenKind.QuotedString => new HoconScalar(token.Text, HoconScalarKind.String, token.Position),
                HoconTokenKind.UnquotedText => new HoconScalar(token.Text, HoconScalarKind.Unquoted, token.Position),
                HoconTokenKind.Whitespace => new HoconScalar(token.Text, HoconScalarKind.Whitespace, token.Position),
                HoconTokenKind.Substitution => new HoconSubstitution(token.Path!, token.Optional, token.Position),
                _ => null,
            };

            if (part is not null)
            {
                _index++;
            }
            else if (token.Kind == HoconTokenKind.LeftBrace)
            {
                part = ParseObjectLiteral();
            }
            else if (token.Kind == HoconTokenKind.LeftBracket)
            {
                part = ParseArray();
            }
            else
            {
                break;
            }

            parts.Add(part);
        }

        while (parts.Count > 0 && parts[^1] is HoconScalar { Kind: HoconScalarKind.Whitespace })
        {
            parts.RemoveAt(parts.Count - 1);
        }

        return parts.Count switch
        {
            0 => null,
            1 => parts[0],
            _ => new HoconConcatenation(parts, parts[0].Position),
        };
    }

    private HoconObjectLiteral ParseObjectLiteral()
    {
        var open = Next();
        return new HoconObjectLiteral(ParseMembers(open), open.Position);
    }

    private HoconArray ParseArray()
    {
        var open = Next();
        var items = new List<HoconValue>();
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var token = Peek();
            if (token.Kind == HoconTokenKind.EndOfFile)
            {
                throw new HoconParseException(
                    open.Position,
                    "expected ']' to close the array opened here but found end of file");
            }

            if (token.Kind == HoconTokenKind.RightBracket)
            {
                _index++;
                return new HoconArray(items, open.Position);
            }

            items.Add(ParseValue() ?? throw Expected("a value or ']' in the array", token));

            SkipWhitespace();
            var after = Peek();
            if (after.Kind == HoconTokenKind.Comma)
            {
                _index++;
            }
            else if (after.Kind is not (HoconTokenKind.Newline or HoconTokenKind.RightBracket or HoconTokenKind.EndOfFile))
            {
                throw Expected("',' , ']' or a new line after an array element", after);
            }
        }
    }

    private bool IsIncludeDirective() =>
        Peek() is { Kind: HoconTokenKind.UnquotedText, Text: "include" }
        && Peek(1).Kind == HoconTokenKind.Whitespace
        && (Peek(2).Kind == HoconTokenKind.QuotedString
            || (Peek(2).Kind == HoconTokenKind.UnquotedText && Peek(2).Text.EndsWith('(')));

    private HoconInclude ParseInclude()
    {
        var directive = Next();
        SkipWhitespace();
        var opened = 0;
        if (Peek() is { Kind: HoconTokenKind.UnquotedText } call)
        {
            if (call.Text is not ("file(" or "required(" or "required(file("))
            {
                throw Expected("include \"name\" , include file(\"name\") or include required(\"name\")", call);
            }

            opened = call.Text.Count(c => c == '(');
            _index++;
            SkipWhitespace();
        }

        var name = Next();
        if (name.Kind != HoconTokenKind.QuotedString)
        {
            throw Expected("a quoted file name after include", name);
        }

        if (opened > 0)
        {
            SkipWhitespace();
            var close = Next();
            if (close.Kind != HoconTokenKind.UnquotedText || close.Text != new string(')', opened))
            {
                throw Expected($"'{new string(')', opened)}' after the include file name", close);
            }
        }

        var members = _context.Include(name.Text, name.Position, _displayName, _directory);
        return new HoconInclude(members, directive.Position);
    }

    private static HoconParseException Expected(string expected, HoconToken found) =>
        new(found.Position, $"expected {expected} but found {found.Describe()}");
}
