namespace LayerLock.Hosting.Configuration;

/// <summary>
/// Checks what Akka's HOCON parser (1.5.74) lets through silently or never returns from, before it
/// runs: an unclosed or stray bracket (it drops the rest of the file), an unclosed string (it reads
/// to the end of the file), <c>=</c> or <c>:</c> directly inside an array (it loops forever),
/// <c>${?VAR}</c> (it parses as a substitution of the whole document), <c>+=</c> and the
/// <c>include file(…)</c>/<c>required(…)</c> forms (it reads them as keys). It tracks only strings,
/// comments and brackets; Akka's parser reads the values.
/// </summary>
internal static class StructureCheck
{
    private static readonly string[] UnsupportedIncludes = ["file(", "required(", "url(", "classpath("];

    /// <exception cref="ConfigurationFileException">The first such problem, with its line and column.</exception>
    public static void Run(string text, string fileName)
    {
        var open = new Stack<(char Bracket, int Line, int Column)>();
        var line = 1;
        var lineStart = 0;
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            var column = i - lineStart + 1;
            ConfigurationFileException Error(string reason) => new(fileName, line, column, reason);

            if (c == '\n')
            {
                line++;
                lineStart = ++i;
                continue;
            }

            if (c == '#' || (c == '/' && At(text, i, "//")))
            {
                i = EndOfLine(text, i);
                continue;
            }

            if (At(text, i, "\"\"\""))
            {
                var close = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                if (close < 0)
                {
                    throw Error("the \"\"\" string opened here is never closed");
                }

                // Quotes right before the closing """ belong to the string.
                var end = close + 3;
                while (end < text.Length && text[end] == '"')
                {
                    end++;
                }

                (line, lineStart) = Advance(text, i, end, line, lineStart);
                i = end;
                continue;
            }

            if (c == '"')
            {
                i = EndOfString(text, i) ?? throw Error("the string opened here is not closed on its line");
                continue;
            }

            if (At(text, i, "${"))
            {
                if (At(text, i + 2, "?"))
                {
                    throw Error(
                        $"'{Snippet(text, i)}': optional substitutions (${{?VAR}}) are not supported by Akka's HOCON parser; "
                        + "delete the line and set the environment variable, which LayerLock reads itself");
                }

                var close = text.IndexOfAny(['}', '\n'], i);
                if (close < 0 || text[close] != '}')
                {
                    throw Error("the substitution opened here is not closed with '}' on its line");
                }

                i = close + 1;
                continue;
            }

            if (At(text, i, "+="))
            {
                throw Error("'+=' is not supported by Akka's HOCON parser; write the whole array");
            }

            if (At(text, i, "include") && text[lineStart..i].Trim() is "" or "{" && IncludeForm(text, i + 7) is { } form)
            {
                throw Error($"'include {form}' is not supported by Akka's HOCON parser; write include \"file.conf\"");
            }

            switch (c)
            {
                case '{' or '[':
                    open.Push((c, line, column));
                    break;
                case '}' or ']':
                    var expected = c == '}' ? '{' : '[';
                    if (open.Count == 0)
                    {
                        throw Error($"'{c}' closes nothing: no '{expected}' is open here");
                    }

                    var (bracket, openLine, openColumn) = open.Pop();
                    if (bracket != expected)
                    {
                        throw Error($"'{c}' found where the '{bracket}' opened at {openLine}:{openColumn} should be closed with '{Closing(bracket)}'");
                    }

                    break;
                case '=' or ':' when open.TryPeek(out var top) && top.Bracket == '[':
                    throw Error($"'{c}' inside the array opened at {top.Line}:{top.Column}: an array holds values; put text with '{c}' in double quotes");
            }

            i++;
        }

        if (open.TryPop(out var unclosed))
        {
            throw new ConfigurationFileException(
                fileName,
                unclosed.Line,
                unclosed.Column,
                $"the '{unclosed.Bracket}' opened here is never closed with '{Closing(unclosed.Bracket)}'");
        }
    }

    private static char Closing(char bracket) => bracket == '{' ? '}' : ']';

    private static bool At(string text, int index, string value) =>
        index + value.Length <= text.Length && string.CompareOrdinal(text, index, value, 0, value.Length) == 0;

    private static int EndOfLine(string text, int index) => text.IndexOf('\n', index) is var end and >= 0 ? end : text.Length;

    // The index after the closing quote of the string that starts at `start`, or null when the line ends first.
    private static int? EndOfString(string text, int start)
    {
        for (var i = start + 1; i < text.Length; i++)
        {
            switch (text[i])
            {
                case '\\':
                    i++;
                    break;
                case '"':
                    return i + 1;
                case '\n':
                    return null;
            }
        }

        return null;
    }

    private static string? IncludeForm(string text, int index)
    {
        var rest = text[index..EndOfLine(text, index)];
        var trimmed = rest.TrimStart();
        if (trimmed.Length == rest.Length)
        {
            return null;
        }

        return UnsupportedIncludes.FirstOrDefault(form => trimmed.StartsWith(form, StringComparison.Ordinal)) is { } form
            ? form.TrimEnd('(') + "(…)"
            : null;
    }

    private static string Snippet(string text, int index)
    {
        var end = EndOfLine(text, index);
        var close = text.IndexOf('}', index, end - index);
        return text[index..(close >= 0 ? close + 1 : end)];
    }

    private static (int Line, int LineStart) Advance(string text, int from, int to, int line, int lineStart)
    {
        for (var i = from; i < to; i++)
        {
            if (text[i] == '\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return (line, lineStart);
    }
}
