using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using LayerLock.Specs.Faults;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Peers;

/// <summary>
/// Issue 12, parts 1 and 3 (serving): an agent with a peer endpoint serves the layers it has, by
/// digest only and with the shared token, and the Coordinator tracks which node has which layer —
/// from the agent's reports and its successful releases — until the node drops the layer or its
/// session ends. Real registry, containerd, agent process and Coordinator.
/// </summary>
public sealed class PeerServingSpecs(RegistryImages images) : IClassFixture<RegistryImages>, IAsyncLifetime
{
    private const string Token = "peer-spec-secret";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _state = new();
    private readonly HttpClient _http = new();
    private RunningCoordinator _coordinator = null!;
    private ContainerdInstance _containerd = null!;
    private ChildProcess? _agent;
    private string _agentAddress = null!;
    private string _peerAddress = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await RunningCoordinator.StartAsync($"layerlock.coordinator.auth.token = \"{Token}\"");
        _containerd = await ContainerdInstance.StartAsync();
        _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        _agentAddress = $"127.0.0.1:{ChildProcess.FreePort()}";
        _peerAddress = $"127.0.0.1:{ChildProcess.FreePort()}";
        await StartAgentAsync();
    }

    public async Task DisposeAsync()
    {
        if (_agent is not null)
        {
            await _agent.DisposeAsync();
        }

        await _containerd.DisposeAsync();
        await _coordinator.DisposeAsync();
        _http.Dispose();
        _state.Dispose();
    }

    [Fact]
    public async Task A_node_should_serve_its_layers_by_digest_only_and_be_tracked_until_it_drops_them_or_goes()
    {
        var reference = $"{images.Registry.Host}/{RegistryImages.BigRepository}:latest";
        var layers = images.Big.Layers;
        await PullAsync(reference);

        // The Coordinator knows node-a has both layers, and where it serves them.
        await UntilAsync(async () => (await SourcesAsync()).Count(l => layers.Contains(l.Digest) && l.Nodes.Contains(("node-a", $"http://{_peerAddress}"))) == 2);

        // Served by digest, with the token, byte for byte what the registry has.
        foreach (var layer in layers)
        {
            var served = await _http.GetByteArrayAsync(new Uri($"http://{_peerAddress}/v1/blobs/{layer}"));
            Assert.Equal(await _http.GetByteArrayAsync(new Uri($"http://{images.Registry.Host}/v2/{RegistryImages.BigRepository}/blobs/{layer}")), served);
        }

        // The scheme is case-insensitive (RFC 7235), the token is not.
        using (var lower = new HttpRequestMessage(HttpMethod.Head, new Uri($"http://{_peerAddress}/v1/blobs/{layers[0]}")))
        using (var wrong = new HttpRequestMessage(HttpMethod.Head, new Uri($"http://{_peerAddress}/v1/blobs/{layers[0]}")))
        using (var plain = new HttpClient())
        {
            lower.Headers.TryAddWithoutValidation("Authorization", $"bearer {Token}");
            wrong.Headers.TryAddWithoutValidation("Authorization", $"Bearer {Token.ToUpperInvariant()}");
            Assert.Equal(HttpStatusCode.OK, (await plain.SendAsync(lower)).StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, (await plain.SendAsync(wrong)).StatusCode);
        }

        // Nothing else: no token, not a layer (the manifest), not a digest, no listing, no paths.
        using var anonymous = new HttpClient();
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(new Uri($"http://{_peerAddress}/v1/blobs/{layers[0]}"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri($"http://{_peerAddress}/v1/blobs/{images.Big.Digest}"))).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await _http.GetAsync(new Uri($"http://{_peerAddress}/v1/blobs/sha256:..%2F..%2Fetc"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri($"http://{_peerAddress}/v1/blobs/"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri($"http://{_peerAddress}/v1/refs"))).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri($"http://{_peerAddress}/v2/{RegistryImages.BigRepository}/manifests/latest"))).StatusCode);

        // rm: the node reports it has the layers no more.
        await using (var rm = ChildProcess.Start("NodeAgent", "rm", reference, "--agent", _agentAddress))
        {
            Assert.Equal(0, await rm.WaitForExitAsync(Patience));
        }

        await UntilAsync(async () => !(await SourcesAsync()).Any(l => layers.Contains(l.Digest)));
        Assert.Equal(HttpStatusCode.NotFound, (await _http.GetAsync(new Uri($"http://{_peerAddress}/v1/blobs/{layers[0]}"))).StatusCode);

        // Pulled again, then SIGKILLed: its session's end drops everything it had.
        await PullAsync(reference);
        await UntilAsync(async () => (await SourcesAsync()).Count(l => layers.Contains(l.Digest)) == 2);
        await _agent!.KillAsync();
        await UntilAsync(async () => (await SourcesAsync()).Count == 0);

        // Restarted, it reports what its containerd still has.
        await StartAgentAsync();
        await UntilAsync(async () => (await SourcesAsync()).Count(l => layers.Contains(l.Digest) && l.Nodes.Contains(("node-a", $"http://{_peerAddress}"))) == 2);
    }

    private async Task StartAgentAsync()
    {
        _agent = ChildProcess.Start(
            "NodeAgent",
            "run",
            "--node", "node-a",
            "--coordinator", _coordinator.BaseAddress.ToString(),
            "--containerd", _containerd.Socket,
            "--state-dir", _state.Path,
            "--listen", _agentAddress,
            "--mirror", $"127.0.0.1:{ChildProcess.FreePort()}",
            "--peer-listen", _peerAddress,
            "--plain-http", images.Registry.Host,
            "--log-dir", Path.Combine(_state.Path, "logs"),
            $"--layerlock:agent:auth:token={Token}");
        await _agent.WaitForLineContainingAsync("refcount.reconciled", Patience);
    }

    private async Task PullAsync(string reference)
    {
        await using var pull = ChildProcess.Start("NodeAgent", "pull", reference, "--agent", _agentAddress);
        Assert.True(await pull.WaitForExitAsync(Patience) == 0, pull.Transcript);
    }

    private async Task<List<(string Digest, List<(string Node, string Url)> Nodes)>> SourcesAsync()
    {
        using var body = JsonDocument.Parse(await _http.GetStringAsync(new Uri(_coordinator.BaseAddress, "/layers")));
        return [.. body.RootElement.GetProperty("layers").EnumerateArray().Select(l => (
            l.GetProperty("digest").GetString()!,
            l.GetProperty("nodes").EnumerateArray().Select(n => (n.GetProperty("node").GetString()!, n.GetProperty("url").GetString()!)).ToList()))];
    }

    private static async Task UntilAsync(Func<Task<bool>> condition)
    {
        var waited = Stopwatch.StartNew();
        while (!await condition())
        {
            if (waited.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new TimeoutException("the condition did not hold within 15 s");
            }

            await Task.Delay(TimeSpan.FromMilliseconds(100));
        }
    }
}
