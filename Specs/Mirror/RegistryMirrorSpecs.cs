using System.Net;
using System.Net.Http.Headers;
using Akka.Actor;
using Akka.Hosting;
using LayerLock.Hosting.Configuration;
using LayerLock.NodeAgent.Containerd;
using LayerLock.NodeAgent.Coordination;
using LayerLock.NodeAgent.Hosting;
using LayerLock.NodeAgent.Mirror;
using LayerLock.NodeAgent.RefCounts;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.RefCounts;
using LayerLock.Specs.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace LayerLock.Specs.Mirror;

/// <summary>
/// The agent's mirror between a fake upstream registry and an HTTP client playing containerd,
/// with a real Coordinator (configured by <c>coordinatorHocon</c>).
/// </summary>
internal sealed class MirrorRig : IAsyncDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly TempDirectory _state = new();
    private readonly ActorSystem _system = ActorSystem.Create("mirror-spec");
    private CoordinatorLink _client = null!;
    private WebApplication _mirrorApp = null!;
    private HttpClient _upstream = null!;

    public RunningCoordinator Coordinator { get; private set; } = null!;

    public FakeRegistry Registry { get; private set; } = null!;

    /// <summary>Plays containerd: its base address is the image's path on the mirror.</summary>
    public HttpClient Containerd { get; private set; } = null!;

    public static async Task<MirrorRig> StartAsync(string coordinatorHocon = "")
    {
        var rig = new MirrorRig();
        rig.Coordinator = await RunningCoordinator.StartAsync(coordinatorHocon);
        rig.Registry = await FakeRegistry.StartAsync();
        var mirrorPort = ChildProcess.FreePort();
        var settings = AgentSettings.From(new ConfigurationBuilder().AddHoconString($$"""
            layerlock.agent {
              node = node-t
              coordinator = "{{rig.Coordinator.BaseAddress}}"
              containerd = "/nonexistent/containerd.sock"
              state-dir = "{{rig._state.Path}}"
              mirror.listen = "127.0.0.1:{{mirrorPort}}"
              plain-http = ["{{rig.Registry.Host}}"]
            }
            """).Build(), SpecDirectories.Defaults);
        rig._client = CoordinatorLink.Create(settings.Link, NullLogger.Instance);
        rig._client.Start();
        await rig._client.WaitConnectedAsync(new CancellationTokenSource(Patience).Token);
        var store = new RefCountStore(rig._state.Path);
        var registry = ActorRegistry.For(rig._system);
        registry.Register<RefCountActor>(rig._system.ActorOf(RefCountActor.Props(store, store.Load(), new FakeContentPresence()), "refcounts"));
        var refCounts = new RequiredActor<RefCountActor>(registry);
        var ctr = new CtrRunner(new CtrOptions(ContainerdInstance.CtrPath, "/nonexistent/containerd.sock", "default", TimeSpan.FromSeconds(10)), NullLogger.Instance);
        rig._upstream = new HttpClient();
        var mirror = new RegistryMirror(settings, rig._upstream, rig._upstream, rig._client, refCounts, ctr, new LayerCatalog(), new TransferBoard(), NullLogger.Instance, "0.0.0-spec");

        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(settings.MirrorListen));
        rig._mirrorApp = builder.Build();
        mirror.Map(rig._mirrorApp, mirrorPort);
        await rig._mirrorApp.StartAsync();
        rig.Containerd = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{mirrorPort}/r/{rig.Registry.Host}/v2/test/app/") };

        // containerd reads the manifest first; that is how the mirror learns which blobs are layers.
        using var manifest = await rig.Containerd.GetAsync($"manifests/latest?ns={Uri.EscapeDataString(rig.Registry.Host)}");
        Assert.Equal(HttpStatusCode.OK, manifest.StatusCode);
        return rig;
    }

    /// <summary>The Coordinator's lock.released or lock.failover line for <paramref name="layer"/>, once the lock is gone.</summary>
    public async Task<string> EndOfLockAsync(string layer, string transition = "lock.released")
    {
        await Coordinator.Table.WaitUntilAsync(t => t.Get(layer) is null, Patience);
        return Coordinator.LogLines.Single(l => l.StartsWith(transition, StringComparison.Ordinal) && l.Contains(layer, StringComparison.Ordinal));
    }

    public async ValueTask DisposeAsync()
    {
        Containerd.Dispose();
        await _mirrorApp.StopAsync();
        await _mirrorApp.DisposeAsync();
        await _client.DisposeAsync();
        _upstream.Dispose();
        await Registry.DisposeAsync();
        await Coordinator.DisposeAsync();
        await _system.Terminate().WaitAsync(Patience);
        _state.Dispose();
    }
}

/// <summary>Every layer transfer takes the lock, and every way a transfer can fail ends in a failure release.</summary>
public sealed class RegistryMirrorSpecs : IAsyncLifetime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private MirrorRig _rig = null!;

    private RunningCoordinator _coordinator => _rig.Coordinator;

    private FakeRegistry _registry => _rig.Registry;

    private HttpClient _containerd => _rig.Containerd;

    public async Task InitializeAsync() => _rig = await MirrorRig.StartAsync();

    public async Task DisposeAsync() => await _rig.DisposeAsync();

    [Fact]
    public async Task A_good_layer_should_stream_through_under_its_lock_and_release_with_success()
    {
        var bytes = await _containerd.GetByteArrayAsync($"blobs/{FakeRegistry.Good}");

        Assert.Equal(FakeRegistry.GoodBytes, bytes);
        var released = await ReleasedAsync(FakeRegistry.Good);
        Assert.Contains("success True error null", released);
        Assert.Contains(_coordinator.LogLines, l => l.Contains($"lock.acquired {Q(FakeRegistry.Good)} by {Q("node-t")}", StringComparison.Ordinal));
        Assert.All(_registry.UserAgents, ua => Assert.Equal("layerlock-agent/0.0.0-spec (node=node-t)", ua));
    }

    [Fact]
    public async Task A_range_request_should_get_206_with_the_bytes_asked_for()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"blobs/{FakeRegistry.Good}");
        request.Headers.Range = new RangeHeaderValue(1000, null);

        using var response = await _containerd.SendAsync(request);

        Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
        Assert.Equal(FakeRegistry.GoodBytes[1000..], await response.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 1000-{FakeRegistry.GoodBytes.Length - 1}/{FakeRegistry.GoodBytes.Length}", response.Content.Headers.ContentRange!.ToString());
        Assert.Contains("success True", await ReleasedAsync(FakeRegistry.Good));
    }

    [Fact]
    public async Task A_digest_mismatch_should_cut_the_response_and_release_with_failure()
    {
        await Assert.ThrowsAnyAsync<HttpRequestException>(() => _containerd.GetByteArrayAsync($"blobs/{FakeRegistry.Mismatch}"));

        var released = await ReleasedAsync(FakeRegistry.Mismatch);
        Assert.Contains("success False error \"digest mismatch: the upstream blob is sha256:", released);
    }

    [Fact]
    public async Task An_upstream_500_should_answer_502_and_release_with_failure()
    {
        using var response = await _containerd.GetAsync($"blobs/{FakeRegistry.Broken}");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("success False error \"upstream answered 500", await ReleasedAsync(FakeRegistry.Broken));
    }

    [Fact]
    public async Task Containerd_disconnecting_mid_stream_should_release_with_failure()
    {
        using var cancel = new CancellationTokenSource();
        var response = await _containerd.GetAsync($"blobs/{FakeRegistry.Stalling}", HttpCompletionOption.ResponseHeadersRead, cancel.Token);
        await _registry.StalledHalfway.Task.WaitAsync(Patience);

        response.Dispose();
        _containerd.CancelPendingRequests();

        Assert.Contains("success False error \"containerd disconnected mid-stream\"", await ReleasedAsync(FakeRegistry.Stalling));
    }

    [Fact]
    public async Task A_manifest_and_config_should_pass_through_without_a_lock()
    {
        using var head = new HttpRequestMessage(HttpMethod.Head, "manifests/latest");
        using var response = await _containerd.SendAsync(head);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.DoesNotContain(_coordinator.LogLines, l => l.Contains("lock.requested", StringComparison.Ordinal));
    }

    private static string Q(string text) => $"\"{text}\"";

    private Task<string> ReleasedAsync(string layer) => _rig.EndOfLockAsync(layer);
}
