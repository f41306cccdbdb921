using LayerLock.NodeAgent.Containerd;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Faults;

/// <summary>
/// The images the fault specs pull, pushed once per class to a real <c>docker-registry</c>:
/// <c>faults/big</c> (two 4 MiB layers), <c>faults/trickle</c> (one 4 MiB layer), and
/// <c>faults/x</c> and <c>faults/y</c>, which share their first layer.
/// </summary>
public sealed class RegistryImages : IAsyncLifetime
{
    public const string BigRepository = "faults/big";
    public const string BigAliasRepository = "faults/big-alias";
    public const string TrickleRepository = "faults/trickle";
    public const string ResumeRepository = "faults/resume";
    public const string XRepository = "faults/x";
    public const string YRepository = "faults/y";
    private const int FourMiB = 4 * 1024 * 1024;
    private readonly TempDirectory _archives = new();

    internal LocalRegistry Registry { get; private set; } = null!;

    internal OciManifest Big { get; private set; } = null!;

    internal OciManifest Trickle { get; private set; } = null!;

    internal OciManifest Resume { get; private set; } = null!;

    internal OciManifest X { get; private set; } = null!;

    internal OciManifest Y { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Registry = await LocalRegistry.StartAsync();
        Big = await PushAsync(BigRepository, a => a.AddRandomManifest(CtrRunner.HostPlatform, 1, FourMiB, FourMiB));
        await PushAsync(BigAliasRepository, a => a.AddRandomManifest(CtrRunner.HostPlatform, 1, FourMiB, FourMiB));
        Trickle = await PushAsync(TrickleRepository, a => a.AddRandomManifest(CtrRunner.HostPlatform, 2, FourMiB));
        Resume = await PushAsync(ResumeRepository, a => a.AddRandomManifest(CtrRunner.HostPlatform, 3, 2 * FourMiB, 2 * FourMiB));
        X = await PushAsync(XRepository, a => a.AddManifest(CtrRunner.HostPlatform, "shared base layer", "only in x"));
        Y = await PushAsync(YRepository, a => a.AddManifest(CtrRunner.HostPlatform, "shared base layer", "only in y"));
        if (X.Layers[0] != Y.Layers[0])
        {
            throw new InvalidOperationException($"faults/x and faults/y should share their first layer: {X.Layers[0]} vs {Y.Layers[0]}");
        }
    }

    /// <summary>The size of blob <paramref name="digest"/>, as the registry answers a HEAD for it.</summary>
    public async Task<long> SizeAsync(string repository, string digest)
    {
        using var http = new HttpClient();
        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, new Uri($"http://{Registry.Host}/v2/{repository}/blobs/{digest}")));
        head.EnsureSuccessStatusCode();
        return head.Content.Headers.ContentLength ?? throw new InvalidOperationException($"no Content-Length for {digest}");
    }

    public async Task DisposeAsync()
    {
        await Registry.DisposeAsync();
        _archives.Dispose();
    }

    private async Task<OciManifest> PushAsync(string repository, Func<OciArchive, OciManifest> build)
    {
        var archive = new OciArchive();
        var manifest = build(archive);
        var path = Path.Combine(_archives.Path, repository.Replace('/', '-') + ".tar");
        archive.Write(path, "latest");
        await Registry.PushAsync(path, repository);
        return manifest;
    }
}
