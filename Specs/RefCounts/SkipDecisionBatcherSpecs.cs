using Akka.Hosting;
using LayerLock.NodeAgent.RefCounts;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.RefCounts;

public sealed class SkipDecisionBatcherSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string LayerA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string LayerB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const string LayerC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _directory = new();
    private readonly FakeContentPresence _presence = new();

    [Fact]
    public async Task Layers_asked_while_a_listing_runs_should_share_the_next_listing()
    {
        new RefCountStore(_directory.Path).Save(new Dictionary<string, int> { [LayerA] = 1, [LayerB] = 1, [LayerC] = 1 });
        _presence.Blobs.UnionWith([LayerA, LayerB]);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _presence.ListingGate = gate;
        var batcher = new SkipDecisionBatcher(Spawn(), Patience);

        var first = batcher.DecideAsync(LayerA);
        await _presence.ListingStarted.Task.WaitAsync(Patience);
        // Asked during the first listing: the next listing, started after they were asked, answers both.
        var second = batcher.DecideAsync(LayerB);
        var third = batcher.DecideAsync(LayerC);
        gate.SetResult();

        Assert.Equal(new SkipDecision(LayerA, 1, true, true), await first.WaitAsync(Patience));
        Assert.Equal(new SkipDecision(LayerB, 1, true, true), await second.WaitAsync(Patience));
        Assert.Equal(new SkipDecision(LayerC, 1, false, false), await third.WaitAsync(Patience));
        Assert.Equal(2, _presence.Listings);
    }

    [Fact]
    public async Task A_failed_listing_should_fail_every_layer_of_its_batch()
    {
        _presence.Failure = new TimeoutException("ctr did not answer");
        var batcher = new SkipDecisionBatcher(Spawn(), Patience);

        var error = await Assert.ThrowsAsync<ArgumentException>(() => batcher.DecideAsync(LayerA).WaitAsync(Patience));

        Assert.Contains(nameof(RefCountFailed), error.Message);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _directory.Dispose();
        }
    }

    private RequiredActor<RefCountActor> Spawn()
    {
        var store = new RefCountStore(_directory.Path);
        var registry = ActorRegistry.For(Sys);
        registry.Register<RefCountActor>(Sys.ActorOf(RefCountActor.Props(store, store.Load(), _presence)));
        return new RequiredActor<RefCountActor>(registry);
    }
}
