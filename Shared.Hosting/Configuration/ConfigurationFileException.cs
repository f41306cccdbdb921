namespace LayerLock.Hosting.Configuration;

/// <summary>
/// A HOCON file (or text) that cannot be used. The message is the one line shown to the user:
/// <c>file:line:column: reason</c> when the position is known, <c>file:line: reason</c> when only
/// the line is, and <c>file: reason</c> otherwise (Akka's parser reports a position for few errors).
/// </summary>
public sealed class ConfigurationFileException : FormatException
{
    public ConfigurationFileException(string fileName, int? line, int? column, string reason)
        : base($"{fileName}{(line is null ? "" : $":{line}")}{(line is null || column is null ? "" : $":{column}")}: {reason}")
    {
        FileName = fileName;
        Line = line;
        Column = column;
        Reason = reason;
    }

    /// <summary>The file as it was named to the reader, or the name given to inline text.</summary>
    public string FileName { get; }

    /// <summary>1-based line of the error, when known.</summary>
    public int? Line { get; }

    /// <summary>1-based column of the error, when known.</summary>
    public int? Column { get; }

    /// <summary>The message without the position prefix.</summary>
    public string Reason { get; }
}
