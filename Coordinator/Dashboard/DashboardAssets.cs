namespace LayerLock.Coordinator.Dashboard;

/// <summary>The page's files, embedded in the Coordinator (Coordinator.csproj, <c>Dashboard/wwwroot</c>) and read once.</summary>
internal static class DashboardAssets
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, byte[]> Cache = new(StringComparer.Ordinal);

    public static byte[] Get(string name) => Cache.GetOrAdd(name, static n =>
    {
        using var stream = typeof(DashboardAssets).Assembly.GetManifestResourceStream($"dashboard/{n}")
            ?? throw new InvalidOperationException($"the Coordinator was built without its page asset {n}");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });
}
