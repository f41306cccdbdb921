namespace LayerLock.Actors.Configuration;

/// <summary>
/// Reads a HOCON document into flat configuration keys (<c>a.b.c = 1</c> becomes <c>a:b:c</c> = "1").
/// Durations and sizes keep their text ("5s", "64KiB"); read them with <see cref="HoconDuration"/>,
/// <see cref="HoconSize"/> or <see cref="HoconConfigurationExtensions"/>.
/// </summary>
/// <remarks>
/// Substitutions not found in the document are looked up in <c>environment</c>
/// (default: the process environment). Booleans written unquoted as yes/no/on/off become "true"/"false".
/// </remarks>
public static class HoconReader
{
    /// <summary>Reads a file; includes are relative to its directory.</summary>
    /// <exception cref="HoconParseException">The file, an include or a substitution is invalid.</exception>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    public static IDictionary<string, string?> ReadFile(string path, Func<string, string?>? environment = null)
    {
        var fullPath = Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"HOCON file not found: {fullPath}", fullPath);
        }

        var document = new HoconLoadContext().ParseFile(fullPath, path);
        return Finish(document, environment);
    }

    /// <summary>Reads HOCON text.</summary>
    /// <param name="text">The document.</param>
    /// <param name="name">The name errors report the text under.</param>
    /// <param name="baseDirectory">Where relative includes are looked up; default the current directory.</param>
    /// <param name="environment">Fallback for substitutions; default the process environment.</param>
    /// <exception cref="HoconParseException">The text, an include or a substitution is invalid.</exception>
    public static IDictionary<string, string?> ReadString(
        string text,
        string name = "inline",
        string? baseDirectory = null,
        Func<string, string?>? environment = null)
    {
        var document = HoconLoadContext.ParseText(text, name, baseDirectory ?? Directory.GetCurrentDirectory());
        return Finish(document, environment);
    }

    internal static IDictionary<string, string?> ReadStream(Stream stream, string displayName, string? physicalPath)
    {
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        var document = physicalPath is null
            ? HoconLoadContext.ParseText(text, displayName, Directory.GetCurrentDirectory())
            : new HoconLoadContext().ParseFileText(text, physicalPath, displayName);
        return Finish(document, null);
    }

    private static Dictionary<string, string?> Finish(HoconObjectLiteral document, Func<string, string?>? environment)
    {
        var root = HoconTreeBuilder.Build(document);
        new HoconResolver(root, environment ?? Environment.GetEnvironmentVariable).ResolveAll();
        return HoconFlattener.Flatten(root);
    }
}
