using System.Text;

namespace LayerLock.Actors.Configuration;

/// <summary>
/// Assembles a key path from tokens: unquoted text splits on '.', quoted text never does,
/// whitespace between tokens is kept.
/// </summary>
internal sealed class HoconPathBuilder
{
    private readonly List<string> _segments = [];
    private readonly StringBuilder _current = new();
    private readonly StringBuilder _source = new();
    private bool _currentHasContent;
    private bool _emptySegment;

    public bool IsEmpty => _source.Length == 0;

    public void AppendUnquoted(string text)
    {
        _source.Append(text);
        var parts = text.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            if (i > 0)
            {
                EndSegment();
            }

            _current.Append(parts[i]);
            _currentHasContent |= parts[i].Length > 0;
        }
    }

    public void AppendQuoted(string text)
    {
        _source.Append('"').Append(text).Append('"');
        _current.Append(text);
        _currentHasContent = true;
    }

    public void AppendWhitespace(string text)
    {
        _source.Append(text);
        _current.Append(text);
    }

    /// <summary>Completes the path, or throws when an element is empty (<c>a..b</c>, <c>.a</c>, <c>a.</c>).</summary>
    public HoconPath Build(HoconPosition position)
    {
        EndSegment();
        if (_emptySegment)
        {
            throw new HoconParseException(
                position,
                $"expected a key made of non-empty elements separated by '.' but found '{_source}'");
        }

        return new HoconPath([.. _segments]);
    }

    private void EndSegment()
    {
        _emptySegment |= !_currentHasContent;
        _segments.Add(_current.ToString());
        _current.Clear();
        _currentHasContent = false;
    }
}
