using System.Text;
using LayerLock.NodeAgent.Containerd;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace LayerLock.Specs.Containerd;

/// <summary>CtrRunner against a private, real containerd (one per spec).</summary>
public sealed class CtrRunnerSpecs : IAsyncLifetime
{
    private const string Namespace = "spec";
    private ContainerdInstance _containerd = null!;

    private CtrRunner Ctr => _containerd.Ctr(Namespace);

    public async Task InitializeAsync() => _containerd = await ContainerdInstance.StartAsync();

    public async Task DisposeAsync() => await _containerd.DisposeAsync();

    [Fact]
    public async Task CheckAsync_should_succeed_when_containerd_answers()
    {
        await Ctr.CheckAsync(CancellationToken.None);
    }

    [Fact]
    public async Task CheckAsync_should_say_containerd_cannot_be_reached_on_a_wrong_socket()
    {
        var wrongSocket = Path.Combine(_containerd.Directory, "nothing.sock");
        var ctr = new CtrRunner(
            new CtrOptions(ContainerdInstance.CtrPath, wrongSocket, Namespace, TimeSpan.FromSeconds(30)) { ConnectTimeout = TimeSpan.FromMilliseconds(300) },
            NullLogger.Instance);

        var error = await Assert.ThrowsAsync<CtrException>(() => ctr.CheckAsync(CancellationToken.None));

        Assert.StartsWith($"cannot reach containerd at {wrongSocket}: is it running?", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public async Task CheckAsync_should_say_ctr_is_not_found_when_its_path_is_wrong()
    {
        var ctr = new CtrRunner(new CtrOptions("/nonexistent/ctr", _containerd.Socket, Namespace, TimeSpan.FromSeconds(30)), NullLogger.Instance);

        var error = await Assert.ThrowsAsync<FileNotFoundException>(() => ctr.CheckAsync(CancellationToken.None));

        Assert.Equal("ctr not found at '/nonexistent/ctr': install containerd (apt-get install containerd)", error.Message);
    }

    [Fact]
    public async Task Blob_queries_should_see_ingested_content_and_copy_it_byte_for_byte()
    {
        var content = Encoding.UTF8.GetBytes($"layer bytes {Guid.NewGuid()}\u0000\u00ff");
        var digest = await _containerd.IngestAsync(Namespace, content);
        var absent = OciArchive.Digest(Encoding.UTF8.GetBytes("never ingested"));
        using var copy = new MemoryStream();

        var digests = await Ctr.ListBlobDigestsAsync(CancellationToken.None);
        await Ctr.CopyBlobAsync(digest, copy, CancellationToken.None);

        Assert.Contains(digest, digests);
        Assert.True(await Ctr.HasBlobAsync(digest, CancellationToken.None));
        Assert.False(await Ctr.HasBlobAsync(absent, CancellationToken.None));
        Assert.False(await _containerd.Ctr("other").HasBlobAsync(digest, CancellationToken.None));
        Assert.Equal(content, copy.ToArray());
    }

    [Fact]
    public async Task A_failing_command_should_raise_CtrException_with_the_last_stderr_line()
    {
        var absent = OciArchive.Digest(Encoding.UTF8.GetBytes("never ingested"));

        var error = await Assert.ThrowsAsync<CtrException>(() => Ctr.CopyBlobAsync(absent, Stream.Null, CancellationToken.None));

        Assert.Equal($"ctr content get failed (exit 1): ctr: content digest {absent}: not found", error.Message);
        Assert.Equal(1, error.ExitCode);
        Assert.Contains("not found", error.Stderr);
        Assert.Equal(["--address", _containerd.Socket, "--namespace", Namespace], error.Arguments.Take(4));
        Assert.Contains(absent, error.Arguments);
    }

    [Fact]
    public async Task An_imported_image_should_be_listed_with_its_layers_and_go_with_its_blobs_when_removed()
    {
        var archive = new OciArchive();
        var manifest = archive.AddManifest(CtrRunner.HostPlatform, "first layer", "second layer");
        var path = Path.Combine(_containerd.Directory, "demo.tar");
        archive.Write(path, "example.com/spec/demo:v1");
        await _containerd.ImportAsync(Namespace, path);

        var images = await Ctr.ListImagesAsync(CancellationToken.None);
        var layers = await Ctr.ImageLayersAsync("example.com/spec/demo:v1", CancellationToken.None);
        var blobsBefore = await Ctr.ListBlobDigestsAsync(CancellationToken.None);
        await Ctr.RemoveImageAsync("example.com/spec/demo:v1", CancellationToken.None);
        var imagesAfter = await Ctr.ListImagesAsync(CancellationToken.None);
        var blobsAfter = await Ctr.ListBlobDigestsAsync(CancellationToken.None);

        Assert.Equal(["example.com/spec/demo:v1"], images);
        Assert.Equal(manifest.Layers, layers);
        Assert.Superset(manifest.Layers.Append(manifest.Digest).ToHashSet(), blobsBefore.ToHashSet());
        Assert.Empty(imagesAfter);
        Assert.DoesNotContain(manifest.Layers[0], blobsAfter);
        Assert.DoesNotContain(manifest.Layers[1], blobsAfter);
    }

    [Fact]
    public async Task ImageLayersAsync_should_pick_the_host_platform_from_a_multi_platform_index()
    {
        var archive = new OciArchive();
        var other = archive.AddManifest(CtrRunner.HostPlatform == "linux/arm64" ? "linux/amd64" : "linux/arm64", "other platform");
        var host = archive.AddManifest(CtrRunner.HostPlatform, "host layer one", "host layer two");
        var path = Path.Combine(_containerd.Directory, "multi.tar");
        var index = archive.Write(path, "example.com/spec/multi:v1", asIndex: true);
        await _containerd.ImportAsync(Namespace, path, "--all-platforms");

        var layers = await Ctr.ImageLayersAsync("example.com/spec/multi:v1", CancellationToken.None);

        Assert.NotEqual(host.Digest, index);
        Assert.Equal(host.Layers, layers);
        Assert.DoesNotContain(other.Layers[0], layers);
    }

    [Fact]
    public async Task ImageLayersAsync_should_name_an_image_that_is_not_there()
    {
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => Ctr.ImageLayersAsync("example.com/spec/absent:v1", CancellationToken.None));

        Assert.Contains("example.com/spec/absent:v1 is not in containerd namespace 'spec'", error.Message);
    }
}
