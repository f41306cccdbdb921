using System.Text.Json;
using LayerLock.NodeAgent.RefCounts;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.RefCounts;

/// <summary>refcounts.json under SIGKILL: a real writer process killed at random moments mid-write.</summary>
public sealed class RefCountCrashSpecs : IDisposable
{
    private const int Kills = 20;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task Refcounts_file_should_always_parse_with_valid_counts_after_a_SIGKILL_during_writes()
    {
        var store = new RefCountStore(_directory.Path);
        var random = new Random();
        for (var kill = 1; kill <= Kills; kill++)
        {
            await using var writer = ChildProcess.Start("NodeAgent", "refcount-torture", _directory.Path);
            await writer.WaitForLineAsync("refcount-torture ", Patience);

            // A random moment: somewhere after the N-th complete save, while later saves are under way.
            await writer.WaitForLineAsync($"wrote {random.Next(1, 40)} ", Patience);
            await writer.KillAsync();

            var text = await File.ReadAllTextAsync(store.FilePath);
            using (var document = JsonDocument.Parse(text))
            {
                Assert.Equal(JsonValueKind.Object, document.RootElement.ValueKind);
            }

            var counts = store.Load();
            Assert.Equal(400, counts.Count);
            Assert.All(counts, pair =>
            {
                Assert.StartsWith("sha256:", pair.Key);
                Assert.InRange(pair.Value, 1, 99);
            });
            Assert.InRange(text.Length, 20_000, 100_000);

            // Whatever else is in the directory is a temp file of an interrupted save, never the real one.
            Assert.All(
                Directory.GetFiles(_directory.Path).Where(f => f != store.FilePath),
                temp => Assert.Matches(@"/\.refcounts\.json\.\d+\.[0-9a-f]{32}\.tmp$", temp));
        }

        store.DeleteStaleTemporaryFiles();
        Assert.Equal([store.FilePath], Directory.GetFiles(_directory.Path));
    }
}
