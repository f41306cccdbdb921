namespace LayerLock.Actors.Configuration;

/// <summary>A key path such as <c>a.b."c.d"</c>, split into its elements.</summary>
internal sealed class HoconPath(string[] segments)
{
    public string[] Segments { get; } = segments;

    /// <summary>The name looked up in the environment when the path is not in the document.</summary>
    public string EnvironmentName => string.Join('.', Segments);

    public override string ToString() => Display(Segments);

    public static string Display(IReadOnlyList<string> segments) =>
        string.Join('.', segments.Select(s => NeedsQuotes(s) ? $"\"{s}\"" : s));

    private static bool NeedsQuotes(string segment) =>
        segment.Length == 0 || segment.Any(c => c == '.' || char.IsWhiteSpace(c) || HoconLexer.IsForbidden(c));
}
