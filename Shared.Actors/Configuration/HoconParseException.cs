namespace LayerLock.Actors.Configuration;

/// <summary>
/// A HOCON document could not be read. The message is one line,
/// <c>file:line:column: expected X but found Y</c>, pointing at the offending token.
/// </summary>
public sealed class HoconParseException : Exception
{
    internal HoconParseException(HoconPosition position, string reason)
        : base($"{position}: {reason}")
    {
        FileName = position.File;
        Line = position.Line;
        Column = position.Column;
        Reason = reason;
    }

    /// <summary>The file (or inline source name) that holds the error, as it was named to the reader.</summary>
    public string FileName { get; }

    public int Line { get; }

    public int Column { get; }

    /// <summary>The message without the position prefix.</summary>
    public string Reason { get; }
}
