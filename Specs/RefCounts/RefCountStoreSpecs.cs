using System.Text.Json;
using LayerLock.NodeAgent.RefCounts;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.RefCounts;

public sealed class RefCountStoreSpecs : IDisposable
{
    private const string LayerA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string LayerB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Load_should_return_no_counts_when_the_file_is_missing()
    {
        var store = new RefCountStore(Path.Combine(_directory.Path, "state"));

        Assert.Empty(store.Load());
        Assert.False(File.Exists(store.FilePath));
    }

    [Fact]
    public void Save_should_write_the_counts_sorted_by_layer_and_Load_should_read_them_back()
    {
        var store = new RefCountStore(Path.Combine(_directory.Path, "state"));

        store.Save(new Dictionary<string, int> { [LayerB] = 1, [LayerA] = 2, ["sha256:zero"] = 0 });

        Assert.Equal(Path.Combine(_directory.Path, "state", "refcounts.json"), store.FilePath);
        using var written = JsonDocument.Parse(File.ReadAllText(store.FilePath));
        Assert.Equal([LayerA, LayerB], written.RootElement.EnumerateObject().Select(p => p.Name));
        var reloaded = new RefCountStore(Path.Combine(_directory.Path, "state")).Load();
        Assert.Equal(2, reloaded[LayerA]);
        Assert.Equal(1, reloaded[LayerB]);
        Assert.Equal(2, reloaded.Count);
        Assert.Empty(Directory.GetFiles(Path.Combine(_directory.Path, "state"), "*.tmp"));
    }

    [Fact]
    public void Save_should_refuse_a_negative_count_and_leave_the_file_alone()
    {
        var store = new RefCountStore(_directory.Path);
        store.Save(new Dictionary<string, int> { [LayerA] = 1 });
        var before = File.ReadAllBytes(store.FilePath);

        Assert.Throws<ArgumentOutOfRangeException>(() => store.Save(new Dictionary<string, int> { [LayerA] = -1 }));

        Assert.Equal(before, File.ReadAllBytes(store.FilePath));
    }

    [Theory]
    [InlineData("{\"sha256:aa\": 2,", "")]
    [InlineData("[1, 2]", "expected a JSON object")]
    [InlineData("{\"sha256:aa\": -1}", "counts are integers from 0")]
    [InlineData("{\"sha256:aa\": \"two\"}", "counts are integers from 0")]
    [InlineData("{\"sha256:aa\": 1.5}", "counts are integers from 0")]
    [InlineData("{\"sha256:aa\": 1, \"sha256:aa\": 2}", "appears twice")]
    [InlineData("", "")]
    public void Load_should_reject_a_corrupt_file_naming_it_and_leave_it_untouched(string contents, string reason)
    {
        var path = _directory.Write("refcounts.json", contents);
        var store = new RefCountStore(_directory.Path);

        var error = Assert.Throws<InvalidDataException>(store.Load);

        Assert.StartsWith($"{path} is not a valid reference-count file", error.Message);
        Assert.Contains(reason, error.Message);
        Assert.Contains("move it away to start from empty counts", error.Message);
        Assert.Equal(contents, File.ReadAllText(path));
    }

    [Fact]
    public void DeleteStaleTemporaryFiles_should_delete_temp_files_of_dead_writers_only()
    {
        var store = new RefCountStore(_directory.Path);
        store.Save(new Dictionary<string, int> { [LayerA] = 1 });
        var dead = _directory.Write($".refcounts.json.{int.MaxValue - 1}.{Guid.NewGuid():N}.tmp", "{\"half");
        var mine = _directory.Write($".refcounts.json.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp", "{}");

        var deleted = store.DeleteStaleTemporaryFiles();

        Assert.Equal(1, deleted);
        Assert.False(File.Exists(dead));
        Assert.True(File.Exists(mine));
        Assert.Equal(1, store.Load()[LayerA]);
    }
}
