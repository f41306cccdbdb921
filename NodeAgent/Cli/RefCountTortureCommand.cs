using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using LayerLock.NodeAgent.RefCounts;

namespace LayerLock.NodeAgent.Cli;

/// <summary>
/// Hidden verb <c>NodeAgent refcount-torture DIR</c>, for the crash spec: rewrites
/// <c>DIR/refcounts.json</c> (a few hundred layers, tens of KB) as fast as it can through
/// <see cref="RefCountStore.Save"/>, forever, printing <c>wrote N</c> after each save, so a test can
/// SIGKILL it at arbitrary moments and check what is left on disk.
/// </summary>
internal static class RefCountTortureCommand
{
    private const int Layers = 400;

    public static int Run(string stateDir)
    {
        var store = new RefCountStore(stateDir);
        var counts = new Dictionary<string, int>(store.Load(), StringComparer.Ordinal);
        var stale = store.DeleteStaleTemporaryFiles();
        var layers = Enumerable.Range(0, Layers)
            .Select(i => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(i.ToString(CultureInfo.InvariantCulture)))))
            .ToArray();
        foreach (var layer in layers)
        {
            counts.TryAdd(layer, 1);
        }

        Console.Out.WriteLine($"refcount-torture {store.FilePath} loaded, {stale} stale temp files removed");
        var random = new Random();
        for (long writes = 1; ; writes++)
        {
            for (var change = 0; change < 8; change++)
            {
                counts[layers[random.Next(layers.Length)]] = random.Next(1, 100);
            }

            store.Save(counts);
            Console.Out.WriteLine($"wrote {writes} ");
        }
    }
}
