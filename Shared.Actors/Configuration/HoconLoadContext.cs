namespace LayerLock.Actors.Configuration;

/// <summary>Reads included files relative to the including file and refuses include cycles.</summary>
internal sealed class HoconLoadContext
{
    private readonly List<(string FullPath, string DisplayName)> _openFiles = [];

    public HoconObjectLiteral ParseFile(string fullPath, string displayName) =>
        ParseFileText(File.ReadAllText(fullPath), fullPath, displayName);

    /// <summary>Parses text read from <paramref name="fullPath"/>, which counts as open for cycle detection.</summary>
    public HoconObjectLiteral ParseFileText(string text, string fullPath, string displayName)
    {
        _openFiles.Add((fullPath, displayName));
        try
        {
            return HoconParser.Parse(text, displayName, Path.GetDirectoryName(fullPath)!, this);
        }
        finally
        {
            _openFiles.RemoveAt(_openFiles.Count - 1);
        }
    }

    public static HoconObjectLiteral ParseText(string text, string displayName, string directory) =>
        HoconParser.Parse(text, displayName, directory, new HoconLoadContext());

    /// <param name="name">The file name as written after <c>include</c>.</param>
    /// <param name="at">Where the name was written, for errors.</param>
    /// <param name="includerDisplayName">The including file's name as shown in errors.</param>
    /// <param name="directory">The including file's directory.</param>
    public IReadOnlyList<HoconMember> Include(string name, HoconPosition at, string includerDisplayName, string directory)
    {
        var fullPath = Path.GetFullPath(Path.Combine(directory, name));
        var displayName = Path.IsPathRooted(name) ? name : Path.Combine(Path.GetDirectoryName(includerDisplayName) ?? "", name);

        var open = _openFiles.FindIndex(f => string.Equals(f.FullPath, fullPath, StringComparison.Ordinal));
        if (open >= 0)
        {
            var cycle = _openFiles.Skip(open).Select(f => f.DisplayName).Append(displayName);
            throw new HoconParseException(
                at,
                $"expected an include that does not include itself but found the cycle {string.Join(" -> ", cycle)}");
        }

        if (!File.Exists(fullPath))
        {
            throw new HoconParseException(at, $"expected an included file at {fullPath} but found no such file ('{name}')");
        }

        return ParseFile(fullPath, displayName).Members;
    }
}
