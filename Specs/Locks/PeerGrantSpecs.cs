using Akka.TestKit;
using LayerLock.Messages.Locks;
using Xunit;

namespace LayerLock.Specs.Locks;

/// <summary>
/// Issue 12, part 2: a layer request (one that names its registry) for a layer some node has is
/// answered at once with a peer grant naming that node, spread over the nodes that have it, at most
/// <c>peers.max-uploads</c> at a time per node; only when nobody has it does the request take the
/// upstream lock. Waiters behind a holder that succeeds become peer grants. A source that answered
/// 404 is dropped; a fetcher that dies or reports gives its slot back.
/// </summary>
public sealed class PeerGrantSpecs() : LockManagerSpec(maxUploads: 2)
{
    private const string Registry = "registry.example:5000";

    [Fact]
    public async Task A_layer_some_node_has_should_be_peer_granted_at_once_not_queued_behind_the_holder()
    {
        var (a, b, http) = (CreateProbe(), CreateProbe(), CreateProbe());
        var held = await GrantedAsync(a, "node-a");
        Services.Sources.Add("node-s", "session-s", "http://10.0.0.9:9301", Key);

        var requestId = Request(b, "node-b");
        var peer = await b.ExpectMsgAsync<PeerGranted>();
        Assert.Equal((Key, requestId, "node-s", "http://10.0.0.9:9301"), (peer.Key, peer.RequestId, peer.Source, peer.Url));
        Assert.Equal(("node-a", held.Token), (Table.Get(Key)!.Holder, Table.Get(Key)!.Token));
        Assert.Contains(Services.Uploads.Transfers, t => t.Layer == Key && t.Node == "node-b" && t.Source == "node-s");

        // A request that names no registry (an HTTP client, a script) only ever takes the lock.
        await AcquireQueuedAsync(http, "http-client");
    }

    [Fact]
    public async Task A_node_should_serve_at_most_max_uploads_and_a_report_should_free_its_slot()
    {
        var (b, _, d) = await BothSlotsOfNodeSTakenAsync();

        // Both slots taken: node-d waits for one, not for the registry (nobody holds the lock).
        var waiting = Request(d, "node-d");
        Assert.Null((await d.ExpectMsgAsync<LockQueued>(q => q.RequestId == waiting)).Holder);
        await d.ExpectNoMsgAsync(Quiet);
        Assert.Null(Table.Get(Key)?.Holder);

        b.Send(Manager, new PeerFetched(Key, "node-b", "node-s", true, 1234));
        var granted = await d.ExpectMsgAsync<PeerGranted>();
        Assert.Equal((waiting, "node-s"), (granted.RequestId, granted.Source));
        Assert.Equal(2, Services.Uploads.Active("node-s"));
        Assert.Equal(3, Services.Uploads.Granted);
    }

    [Fact]
    public async Task Waiters_behind_a_holder_that_succeeds_should_become_peer_grants_from_it()
    {
        var (a, b, c) = (CreateProbe(), CreateProbe(), CreateProbe());
        var held = await GrantedAsync(a, "node-a");
        var (first, second) = (Request(b, "node-b"), Request(c, "node-c"));
        await b.ExpectMsgAsync<LockQueued>();
        await c.ExpectMsgAsync<LockQueued>();

        // The holder's session records it as a source when it releases with success.
        Services.Sources.Add("node-a", "session-a", "http://a", Key);
        a.Send(Manager, new ReleaseLock(Key, "node-a", held.Token, true, Bytes: 4096));
        await a.ExpectMsgAsync<LockReleased>();

        Assert.Equal((first, "node-a"), await PeerOf(b));
        Assert.Equal((second, "node-a"), await PeerOf(c));
        Assert.Null(Table.Get(Key)?.Holder);
    }

    [Fact]
    public async Task An_excluded_or_missing_source_should_not_be_named_and_nobody_else_means_the_lock()
    {
        var (b, c) = (CreateProbe(), CreateProbe());
        Services.Sources.Add("node-s", "session-s", "http://s", Key);

        // node-b's fetch from node-s failed before: it gets the upstream lock.
        var again = NextRequestId();
        b.Send(Manager, new AcquireLock(Key, "node-b", again, Long, Registry: Registry, ExcludeSources: ["node-s"]));
        var lease = await b.ExpectMsgAsync<LockGranted>(g => g.RequestId == again);

        // node-c is sent to node-s, which answers 404: the Coordinator stops naming it.
        Request(c, "node-c");
        await c.ExpectMsgAsync<PeerGranted>();
        c.Send(Manager, new PeerFetched(Key, "node-c", "node-s", false, 0, "peer node-s answered 404", Missing: true));
        await AwaitConditionAsync(() => Task.FromResult(Services.Sources.Of(Key).Count == 0));
        Assert.Equal(0, Services.Uploads.Active("node-s"));
        Assert.Equal("node-b", Table.Get(Key)!.Holder);
        Assert.Equal(lease.Token, Table.Get(Key)!.Token);
    }

    [Fact]
    public async Task A_node_whose_slots_all_came_back_should_be_named_again()
    {
        var (b, c) = (CreateProbe(), CreateProbe());
        Services.Sources.Add("node-s", "session-s", "http://s", Key);
        Request(b, "node-b");
        await b.ExpectMsgAsync<PeerGranted>();
        b.Send(Manager, new PeerFetched(Key, "node-b", "node-s", true, 1));
        await AwaitConditionAsync(() => Task.FromResult(Services.Uploads.Active("node-s") == 0));

        // Its count is back at zero (not forgotten): the next grant must still find the slot free.
        var again = Request(c, "node-c");
        Assert.Equal((again, "node-s"), await PeerOf(c));
    }

    [Fact]
    public async Task A_fetcher_that_dies_should_give_its_slot_back()
    {
        var (b, _, d) = await BothSlotsOfNodeSTakenAsync();
        var waiting = Request(d, "node-d");
        await d.ExpectMsgAsync<LockQueued>();

        Sys.Stop(b.Ref);

        Assert.Equal(waiting, (await d.ExpectMsgAsync<PeerGranted>()).RequestId);
        Assert.DoesNotContain(Services.Uploads.Transfers, t => t.Node == "node-b");
    }

    /// <summary>node-s has the layer; node-b and node-c are peer-granted from it (max-uploads 2); a third probe for node-d.</summary>
    private async Task<(TestProbe B, TestProbe C, TestProbe D)> BothSlotsOfNodeSTakenAsync()
    {
        var (b, c, d) = (CreateProbe(), CreateProbe(), CreateProbe());
        Services.Sources.Add("node-s", "session-s", "http://s", Key);
        Request(b, "node-b");
        Request(c, "node-c");
        await b.ExpectMsgAsync<PeerGranted>();
        await c.ExpectMsgAsync<PeerGranted>();
        return (b, c, d);
    }

    private static async Task<(long RequestId, string Source)> PeerOf(TestProbe probe)
    {
        var peer = await probe.ExpectMsgAsync<PeerGranted>();
        return (peer.RequestId, peer.Source);
    }

    private long Request(TestProbe session, string node)
    {
        var requestId = NextRequestId();
        session.Send(Manager, new AcquireLock(Key, node, requestId, Long, Registry: Registry));
        return requestId;
    }

    private async Task<LockGranted> GrantedAsync(TestProbe session, string node)
    {
        var requestId = Request(session, node);
        return await session.ExpectMsgAsync<LockGranted>(g => g.RequestId == requestId);
    }
}
