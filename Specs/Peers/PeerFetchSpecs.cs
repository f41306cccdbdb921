using System.Globalization;
using System.Text.Json;
using LayerLock.Specs.Faults;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace LayerLock.Specs.Peers;

/// <summary>
/// Issue 12, parts 2, 3, 5 and 7: nodes that pull the same cold image get each layer from the
/// registry once for the whole fleet, and from each other the rest of the way; a peer that dies
/// mid-transfer, sends corrupted bytes, or no longer has the layer costs no pull. Real registry
/// (behind our counting proxy), one real containerd per node, real agent processes, a Coordinator.
/// </summary>
public sealed class PeerFetchSpecs(RegistryImages images, ITestOutputHelper output) : IClassFixture<RegistryImages>, IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);
    private readonly List<IAsyncDisposable> _disposables = [];
    private readonly List<TempDirectory> _directories = [];
    private FaultyProxy _registry = null!;

    private string Reference => $"{_registry.Host}/{RegistryImages.BigRepository}:latest";

    public async Task InitializeAsync() => _registry = await FaultyProxy.StartAsync(images.Registry.Host);

    public async Task DisposeAsync()
    {
        for (var i = _disposables.Count - 1; i >= 0; i--)
        {
            await _disposables[i].DisposeAsync();
        }

        await _registry.DisposeAsync();
        foreach (var directory in _directories)
        {
            directory.Dispose();
        }
    }

    [Fact]
    public async Task Three_nodes_pulling_a_cold_image_together_should_get_each_layer_from_the_registry_once()
    {
        var coordinator = await StartCoordinatorAsync();
        var nodes = await Task.WhenAll(new[] { "node-a", "node-b", "node-c" }.Select(n => StartNodeAsync(n, coordinator)));

        var pulls = await Task.WhenAll(nodes.Select(n => PullAsync(n, Reference)));

        Assert.All(pulls, p => Assert.Equal(0, p.Exit));
        foreach (var layer in images.Big.Layers)
        {
            Assert.Single(_registry.BlobGets(layer));
        }

        // Two of the three got each layer from a peer, and say so.
        var size = await ImageSizeAsync(RegistryImages.BigRepository, images.Big.Layers);
        Assert.Equal(images.Big.Layers.Count * 2, pulls.Sum(p => p.Transcript.Split('\n').Count(l => l.Contains(" done ", StringComparison.Ordinal) && l.Contains("from peer node-", StringComparison.Ordinal))));
        var metrics = await MetricsAsync(coordinator);
        Assert.Equal(size, metrics["layerlock_layer_bytes_total{source=\"upstream\"}"]);
        Assert.Equal(2 * size, metrics["layerlock_layer_bytes_total{source=\"peer\"}"]);
        Assert.Equal(4, metrics["layerlock_peer_fetches_total{outcome=\"success\"}"]);
        Assert.Equal(0, metrics["layerlock_peer_fetches_total{outcome=\"failure\"}"]);
        foreach (var node in nodes)
        {
            Assert.Equal(images.Big.Layers.ToDictionary(l => l, _ => 1), await RefsAsync(node));
        }

        // Every node is a source of every layer now.
        var sources = await SourcesAsync(coordinator);
        Assert.All(images.Big.Layers, l => Assert.Equal(["node-a", "node-b", "node-c"], sources[l]));
    }

    [Fact]
    public async Task A_peer_SIGKILLed_mid_transfer_should_cost_the_fetcher_a_fallback_not_its_pull()
    {
        var coordinator = await StartCoordinatorAsync();

        // node-a serves through a proxy that slows its layers down, so it can be killed mid-transfer.
        var peerPort = ChildProcess.FreePort();
        // Its layers (8 MiB each) are larger than what node-a's socket may have in flight (its send
        // buffer, 4 MiB at most here, plus the proxy's fixed 64 KiB receive buffer).
        var slow = await StartProxyAsync($"127.0.0.1:{peerPort}", 64 * 1024);
        slow.Rule = r => r.Digest is not null ? ProxyFault.Trickle(512 * 1024, 256 * 1024) : null;
        var a = await StartNodeAsync("node-a", coordinator, peerPort, $"http://{slow.Host}");
        var reference = $"{_registry.Host}/{RegistryImages.ResumeRepository}:latest";
        Assert.Equal(0, (await PullAsync(a, reference)).Exit);
        var b = await StartNodeAsync("node-b", coordinator, extra: "--layerlock:agent:peers:min-rate=1KiB");

        var midway = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        slow.Forwarded = r => _ = r.BytesSent > 640 * 1024 && midway.TrySetResult();
        var pulling = PullAsync(b, reference);
        await midway.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await a.Agent.KillAsync();
        var pull = await pulling;

        Assert.Equal(0, pull.Exit);
        await b.Agent.WaitForLineContainingAsync("peer.fallback", Patience);
        Assert.Contains("from upstream", pull.Transcript, StringComparison.Ordinal);
        Assert.Contains(images.Resume.Layers, l => _registry.BlobGets(l).Count == 2);
        Assert.Equal(images.Resume.Layers.ToDictionary(l => l, _ => 1), await RefsAsync(b));
    }

    [Fact]
    public async Task A_peer_slower_than_the_floor_should_be_given_up_for_the_registry()
    {
        var coordinator = await StartCoordinatorAsync();
        var peerPort = ChildProcess.FreePort();
        var slow = await StartProxyAsync($"127.0.0.1:{peerPort}");
        slow.Rule = r => r.Digest is not null ? ProxyFault.Trickle(0, 16 * 1024) : null;
        var a = await StartNodeAsync("node-a", coordinator, peerPort, $"http://{slow.Host}");
        Assert.Equal(0, (await PullAsync(a, Reference)).Exit);
        var b = await StartNodeAsync("node-b", coordinator, extra: "--layerlock:agent:peers:window=2s");

        var pull = await PullAsync(b, Reference);

        Assert.Equal(0, pull.Exit);
        Assert.Contains("below the floor of 131072 bytes per second", await b.Agent.WaitForLineContainingAsync("peer.fallback", Patience), StringComparison.Ordinal);
        Assert.All(images.Big.Layers, l => Assert.Equal(2, _registry.BlobGets(l).Count));
        Assert.Equal(2, (await MetricsAsync(coordinator))["layerlock_peer_fetches_total{outcome=\"failure\"}"]);
    }

    [Fact]
    public async Task Corrupted_bytes_from_a_peer_should_be_caught_and_the_layer_fetched_elsewhere()
    {
        var coordinator = await StartCoordinatorAsync();
        var (bad, good) = (images.Big.Layers[0], images.Big.Layers[1]);
        var peerPort = ChildProcess.FreePort();
        var corrupting = await StartProxyAsync($"127.0.0.1:{peerPort}");
        corrupting.Rule = r => r.Digest == bad ? ProxyFault.Corrupt(1_000_000) : null;
        var a = await StartNodeAsync("node-a", coordinator, peerPort, $"http://{corrupting.Host}");
        Assert.Equal(0, (await PullAsync(a, Reference)).Exit);
        var b = await StartNodeAsync("node-b", coordinator);

        var pull = await PullAsync(b, Reference);

        Assert.Equal(0, pull.Exit);
        var fallback = await b.Agent.WaitForLineContainingAsync("peer.fallback", Patience);
        Assert.Contains("whose digest is sha256:", fallback, StringComparison.Ordinal);
        Assert.Equal((2, 1), (_registry.BlobGets(bad).Count, _registry.BlobGets(good).Count));
        var metrics = await MetricsAsync(coordinator);
        Assert.Equal((1, 1), (metrics["layerlock_peer_fetches_total{outcome=\"success\"}"], metrics["layerlock_peer_fetches_total{outcome=\"failure\"}"]));
        Assert.Equal(await images.SizeAsync(RegistryImages.BigRepository, good), metrics["layerlock_layer_bytes_total{source=\"peer\"}"]);

        // containerd on node-b committed the right bytes: the pull checked them, and so does this.
        var ctr = b.Containerd.Ctr("default");
        using var copy = new MemoryStream();
        await ctr.CopyBlobAsync(bad, copy, CancellationToken.None);
        Assert.Equal(bad, "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(copy.ToArray())));
        Assert.Equal(images.Big.Layers.ToDictionary(l => l, _ => 1), await RefsAsync(b));
    }

    [Fact]
    public async Task A_peer_whose_containerd_lost_the_layer_should_answer_404_and_be_dropped_as_its_source()
    {
        var coordinator = await StartCoordinatorAsync();
        var (lost, kept) = (images.Big.Layers[0], images.Big.Layers[1]);
        var a = await StartNodeAsync("node-a", coordinator);
        Assert.Equal(0, (await PullAsync(a, Reference)).Exit);
        await a.Containerd.RemoveContentAsync("default", lost);

        var b = await StartNodeAsync("node-b", coordinator);
        var pull = await PullAsync(b, Reference);

        Assert.Equal(0, pull.Exit);
        Assert.Contains("answered 404", await b.Agent.WaitForLineContainingAsync("peer.fallback", Patience), StringComparison.Ordinal);
        Assert.Equal((2, 1), (_registry.BlobGets(lost).Count, _registry.BlobGets(kept).Count));
        var sources = await SourcesAsync(coordinator);
        Assert.Equal(["node-b"], sources[lost]);
        Assert.Equal(["node-a", "node-b"], sources[kept]);
    }

    [Fact]
    public async Task With_remote_tls_peers_should_fetch_over_mutual_TLS_and_refuse_a_caller_without_a_certificate_of_the_CA()
    {
        var files = new TempDirectory();
        _directories.Add(files);
        using var ca = TestCertificates.CreateCa("peer-spec-ca");
        using var rogueCa = TestCertificates.CreateCa("rogue-ca");
        var coordinatorTls = TestCertificates.Issue(files.Path, "coordinator", ca, ca);
        var coordinator = await RunningCoordinator.StartAsync(
            $"layerlock.coordinator.remote-tls {{ certificate = \"{coordinatorTls.Certificate}\", key = \"{coordinatorTls.Key}\", ca = \"{coordinatorTls.Ca}\" }}");
        _disposables.Add(coordinator);
        var peerPort = ChildProcess.FreePort();
        var a = await StartNodeAsync("node-a", coordinator, peerPort, extra: TlsFlags(TestCertificates.Issue(files.Path, "node-a", ca, ca)));
        Assert.Equal(0, (await PullAsync(a, Reference)).Exit);
        var b = await StartNodeAsync("node-b", coordinator, extra: TlsFlags(TestCertificates.Issue(files.Path, "node-b", ca, ca)));

        var pull = await PullAsync(b, Reference);

        Assert.Equal(0, pull.Exit);
        Assert.Equal(images.Big.Layers.Count, pull.Transcript.Split('\n').Count(l => l.Contains(" done ", StringComparison.Ordinal) && l.Contains("from peer node-a", StringComparison.Ordinal)));
        Assert.All(images.Big.Layers, l => Assert.Single(_registry.BlobGets(l)));
        using (var http = new HttpClient())
        using (var layers = JsonDocument.Parse(await http.GetStringAsync(new Uri(coordinator.BaseAddress, "/layers"))))
        {
            Assert.Contains(layers.RootElement.GetProperty("layers").EnumerateArray().SelectMany(l => l.GetProperty("nodes").EnumerateArray()), n => n.GetProperty("url").GetString() == $"https://127.0.0.1:{peerPort}");
        }

        // Nobody else gets a blob: not over plain HTTP, not without a certificate, not with another CA's.
        var blob = new Uri($"https://127.0.0.1:{peerPort}/v1/blobs/{images.Big.Layers[0]}");
        using var anonymous = Caller(null);
        await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.GetAsync(new Uri($"http://127.0.0.1:{peerPort}/v1/blobs/{images.Big.Layers[0]}")));
        await Assert.ThrowsAsync<HttpRequestException>(() => anonymous.GetAsync(blob));
        using var rogueCertificate = TestCertificates.Issue(files.Path, "rogue", rogueCa, ca).LoadCertificate();
        using var rogue = Caller(rogueCertificate);
        await Assert.ThrowsAsync<HttpRequestException>(() => rogue.GetAsync(blob));

        // While one with the CA's certificate does.
        using var trustedCertificate = TestCertificates.Issue(files.Path, "trusted", ca, ca).LoadCertificate();
        using var trusted = Caller(trustedCertificate);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await trusted.GetAsync(blob)).StatusCode);

        static string[] TlsFlags(LayerLock.Hosting.Configuration.RemoteTls tls) =>
            [$"--layerlock:agent:remote-tls:certificate={tls.Certificate}", $"--layerlock:agent:remote-tls:key={tls.Key}", $"--layerlock:agent:remote-tls:ca={tls.Ca}"];

        static HttpClient Caller(System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
        {
            var handler = new HttpClientHandler { ServerCertificateCustomValidationCallback = (_, _, _, _) => true };
            if (certificate is not null)
            {
                handler.ClientCertificates.Add(certificate);
            }

            return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
        }
    }

    private async Task<long> ImageSizeAsync(string repository, IEnumerable<string> layers)
    {
        long total = 0;
        foreach (var layer in layers)
        {
            total += await images.SizeAsync(repository, layer);
        }

        return total;
    }

    private async Task<RunningCoordinator> StartCoordinatorAsync()
    {
        var coordinator = await RunningCoordinator.StartAsync();
        _disposables.Add(coordinator);
        return coordinator;
    }

    private async Task<FaultyProxy> StartProxyAsync(string target, int? receiveBufferBytes = null)
    {
        var proxy = await FaultyProxy.StartAsync(target, receiveBufferBytes);
        _disposables.Add(proxy);
        return proxy;
    }

    /// <summary>A node: its own containerd, and an agent that serves peers on <paramref name="peerPort"/> (advertised as <paramref name="advertise"/>).</summary>
    private async Task<Node> StartNodeAsync(string name, RunningCoordinator coordinator, int? peerPort = null, string? advertise = null, params string[] extra)
    {
        var containerd = await ContainerdInstance.StartAsync();
        _disposables.Add(containerd);
        var state = new TempDirectory();
        _directories.Add(state);
        var address = $"127.0.0.1:{ChildProcess.FreePort()}";
        var agent = ChildProcess.Start(
            "NodeAgent",
            [
                "run",
                "--node", name,
                "--coordinator", coordinator.BaseAddress.ToString(),
                "--containerd", containerd.Socket,
                "--state-dir", state.Path,
                "--listen", address,
                "--mirror", $"127.0.0.1:{ChildProcess.FreePort()}",
                "--peer-listen", $"127.0.0.1:{peerPort ?? ChildProcess.FreePort()}",
                "--plain-http", _registry.Host,
                "--log-dir", Path.Combine(state.Path, "logs"),
                .. advertise is null ? Array.Empty<string>() : [$"--layerlock:agent:peers:advertise={advertise}"],
                .. extra,
            ]);
        _disposables.Add(agent);
        await agent.WaitForLineContainingAsync("refcount.reconciled", Patience);
        return new Node(name, agent, address, containerd);
    }

    private async Task<(int Exit, string Transcript)> PullAsync(Node node, string reference)
    {
        await using var pull = ChildProcess.Start("NodeAgent", "pull", reference, "--agent", node.Address);
        var exit = await pull.WaitForExitAsync(Patience);
        output.WriteLine($"{node.Name}: pull {reference}: exit {exit}\n{pull.Transcript}");
        return (exit, pull.Transcript);
    }

    private static async Task<Dictionary<string, int>> RefsAsync(Node node)
    {
        using var http = new HttpClient();
        using var refs = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://{node.Address}/v1/refs")));
        return refs.RootElement.GetProperty("ref_counts").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
    }

    /// <summary>The Coordinator's <c>/metrics</c> samples, by series.</summary>
    private static async Task<Dictionary<string, long>> MetricsAsync(RunningCoordinator coordinator)
    {
        using var http = new HttpClient();
        var text = await http.GetStringAsync(new Uri(coordinator.BaseAddress, "/metrics"));
        return text.Split('\n')
            .Where(l => l.Length > 0 && !l.StartsWith('#') && !l.Contains("_bucket", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .Where(p => p.Length == 2 && long.TryParse(p[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out _))
            .ToDictionary(p => p[0], p => long.Parse(p[1], CultureInfo.InvariantCulture));
    }

    /// <summary><c>GET /layers</c>: the nodes that have each layer, by digest.</summary>
    private static async Task<Dictionary<string, List<string>>> SourcesAsync(RunningCoordinator coordinator)
    {
        using var http = new HttpClient();
        using var body = JsonDocument.Parse(await http.GetStringAsync(new Uri(coordinator.BaseAddress, "/layers")));
        return body.RootElement.GetProperty("layers").EnumerateArray().ToDictionary(
            l => l.GetProperty("digest").GetString()!,
            l => l.GetProperty("nodes").EnumerateArray().Select(n => n.GetProperty("node").GetString()!).ToList());
    }

    private sealed record Node(string Name, ChildProcess Agent, string Address, ContainerdInstance Containerd);
}
