using Akka.Actor;
using Akka.Event;
using LayerLock.NodeAgent.RefCounts;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.RefCounts;

public sealed class RefCountActorSpecs : Akka.TestKit.Xunit2.TestKit
{
    private const string LayerA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string LayerB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const string LayerC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _directory = new();
    private readonly FakeContentPresence _presence = new();
    private readonly CapturedActorLog _logged;

    public RefCountActorSpecs()
    {
        _logged = new CapturedActorLog(this);
    }

    private string StateDir => Path.Combine(_directory.Path, "state");

    [Theory]
    [InlineData(2, true, true)]
    [InlineData(0, true, false)]
    [InlineData(2, false, false)]
    [InlineData(0, false, false)]
    public async Task ShouldSkipOperation_should_skip_only_when_the_layer_is_counted_and_present(int refCount, bool present, bool skip)
    {
        new RefCountStore(StateDir).Save(new Dictionary<string, int> { [LayerA] = refCount });
        if (present)
        {
            _presence.Blobs.Add(LayerA);
        }

        var refCounts = Spawn();

        refCounts.Tell(new ShouldSkipOperation(LayerA), TestActor);
        var decision = await ExpectMsgAsync<SkipDecision>(Patience);

        Assert.Equal(new SkipDecision(LayerA, refCount, present, skip), decision);
        Assert.Equal(1, _presence.Checks);
        var logged = Assert.Single(await _logged.EntriesAsync(), e => e.EventName == "skip.decision");
        Assert.Equal(LogLevel.InfoLevel, logged.Level);
        Assert.Equal($"skip.decision {LayerA} refcount {refCount} present {present} skip {skip}", logged.Message);
    }

    [Fact]
    public async Task ShouldSkipOperation_should_use_a_pluggable_policy_with_the_same_inputs()
    {
        _presence.Blobs.Add(LayerA);
        var seen = new List<SkipInputs>();
        var refCounts = Spawn(inputs =>
        {
            seen.Add(inputs);
            return !inputs.Present;
        });

        refCounts.Tell(new ShouldSkipOperation(LayerA), TestActor);
        var decision = await ExpectMsgAsync<SkipDecision>(Patience);

        Assert.False(decision.Skip);
        Assert.Equal([new SkipInputs(LayerA, 0, true)], seen);
    }

    [Fact]
    public async Task ShouldSkipOperation_should_reply_a_failure_when_containerd_cannot_be_asked()
    {
        _presence.Failure = new TimeoutException("ctr did not answer");
        var refCounts = Spawn();

        refCounts.Tell(new ShouldSkipOperation(LayerA), TestActor);
        var failed = await ExpectMsgAsync<RefCountFailed>(Patience);

        Assert.Equal(new RefCountFailed(LayerA, "ctr did not answer"), failed);
        Assert.Contains(await _logged.EntriesAsync(), e => e.EventName == "refcount.failed" && e.Level == LogLevel.ErrorLevel);
    }

    [Fact]
    public async Task ShouldSkipOperations_should_decide_every_layer_as_one_at_a_time_would_on_one_listing()
    {
        new RefCountStore(StateDir).Save(new Dictionary<string, int> { [LayerA] = 2, [LayerB] = 1 });
        _presence.Blobs.Add(LayerA);
        _presence.Blobs.Add(LayerC);
        var refCounts = Spawn();

        refCounts.Tell(new ShouldSkipOperations([LayerC, LayerA, LayerB]), TestActor);
        var decisions = await ExpectMsgAsync<SkipDecisions>(Patience);

        Assert.Equal(
            [new SkipDecision(LayerC, 0, true, false), new SkipDecision(LayerA, 2, true, true), new SkipDecision(LayerB, 1, false, false)],
            decisions.Decisions);
        Assert.Equal(1, _presence.Listings);
        Assert.Equal(0, _presence.Checks);
        Assert.Equal(
            [$"skip.decision {LayerC} refcount 0 present True skip False", $"skip.decision {LayerA} refcount 2 present True skip True", $"skip.decision {LayerB} refcount 1 present False skip False"],
            (await _logged.EntriesAsync()).Where(e => e.EventName == "skip.decision").Select(e => e.Message));
    }

    [Fact]
    public async Task ShouldSkipOperations_should_reply_a_failure_when_containerd_cannot_be_asked()
    {
        _presence.Failure = new TimeoutException("ctr did not answer");
        var refCounts = Spawn();

        refCounts.Tell(new ShouldSkipOperations([LayerA, LayerB]), TestActor);
        var failed = await ExpectMsgAsync<RefCountFailed>(Patience);

        Assert.Equal(new RefCountFailed("*", "ctr did not answer"), failed);
    }

    [Fact]
    public async Task A_request_sent_while_containerd_is_asked_should_wait_for_the_answer_and_see_the_same_counts()
    {
        new RefCountStore(StateDir).Save(new Dictionary<string, int> { [LayerA] = 1 });
        _presence.Blobs.Add(LayerA);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _presence.ListingGate = gate;
        var refCounts = Spawn();

        refCounts.Tell(new ShouldSkipOperations([LayerA]), TestActor);
        await _presence.ListingStarted.Task.WaitAsync(Patience);
        refCounts.Tell(new UpdateRefCount(LayerA, -1), TestActor);
        gate.SetResult();

        // The decision rests on the count before the update, which is answered after it.
        Assert.Equal([new SkipDecision(LayerA, 1, true, true)], (await ExpectMsgAsync<SkipDecisions>(Patience)).Decisions);
        await ExpectMsgAsync(new RefCountUpdated(LayerA, 0), Patience);
    }

    [Fact]
    public async Task UpdateRefCount_should_persist_before_replying_and_log_the_new_value()
    {
        var refCounts = Spawn();

        refCounts.Tell(new UpdateRefCount(LayerA, 1), TestActor);
        await ExpectMsgAsync<RefCountUpdated>(Patience);
        refCounts.Tell(new UpdateRefCount(LayerA, 2), TestActor);
        var updated = await ExpectMsgAsync<RefCountUpdated>(Patience);
        refCounts.Tell(new UpdateRefCount(LayerB, 1), TestActor);
        await ExpectMsgAsync<RefCountUpdated>(Patience);

        Assert.Equal(new RefCountUpdated(LayerA, 3), updated);
        var onDisk = new RefCountStore(StateDir).Load();
        Assert.Equal(3, onDisk[LayerA]);
        Assert.Equal(1, onDisk[LayerB]);
        Assert.Contains(await _logged.EntriesAsync(), e => e.EventName == "refcount.updated" && e.Message == $"refcount.updated {LayerA} delta 2 value 3");
    }

    [Fact]
    public async Task A_restarted_actor_should_see_the_counts_saved_by_the_previous_one()
    {
        var first = Spawn();
        first.Tell(new UpdateRefCount(LayerA, 2), TestActor);
        await ExpectMsgAsync<RefCountUpdated>(Patience);
        Watch(first);
        Sys.Stop(first);
        await ExpectTerminatedAsync(first, Patience);

        var second = Spawn();
        second.Tell(GetRefCounts.Instance, TestActor);
        var snapshot = await ExpectMsgAsync<RefCountSnapshot>(Patience);

        Assert.Equal(2, Assert.Single(snapshot.Counts, c => c.Key == LayerA).Value);
    }

    [Fact]
    public async Task An_actor_restarted_after_a_failure_should_keep_the_counts_saved_since_it_was_made_and_answer_waiting_requests()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var refCounts = Spawn(inputs => inputs.Layer == LayerB ? throw new InvalidOperationException("the policy failed") : RefCountActor.DefaultSkipPolicy(inputs));
        refCounts.Tell(new UpdateRefCount(LayerA, 2), TestActor);
        await ExpectMsgAsync(new RefCountUpdated(LayerA, 2), Patience);

        // The policy throws while a snapshot request waits: Akka restarts the actor, which must not
        // fall back to the counts it was made with (none).
        _presence.ListingGate = gate;
        refCounts.Tell(new ShouldSkipOperations([LayerB]), TestActor);
        await _presence.ListingStarted.Task.WaitAsync(Patience);
        refCounts.Tell(GetRefCounts.Instance, TestActor);
        gate.SetResult();

        var snapshot = await ExpectMsgAsync<RefCountSnapshot>(Patience);
        Assert.Equal(new Dictionary<string, int> { [LayerA] = 2 }, snapshot.Counts);
        Assert.Contains(await _logged.EntriesAsync(), e => e.Level == LogLevel.ErrorLevel && e.Exception is InvalidOperationException { Message: "the policy failed" });
    }

    [Fact]
    public async Task UpdateRefCount_should_never_go_below_zero_and_warn_when_it_clamps()
    {
        var refCounts = Spawn();
        refCounts.Tell(new UpdateRefCount(LayerA, 1), TestActor);
        await ExpectMsgAsync<RefCountUpdated>(Patience);

        refCounts.Tell(new UpdateRefCount(LayerA, -3), TestActor);
        var updated = await ExpectMsgAsync<RefCountUpdated>(Patience);
        refCounts.Tell(new UpdateRefCount(LayerB, -1), TestActor);
        var fromNothing = await ExpectMsgAsync<RefCountUpdated>(Patience);

        Assert.Equal(new RefCountUpdated(LayerA, 0), updated);
        Assert.Equal(new RefCountUpdated(LayerB, 0), fromNothing);
        Assert.Empty(new RefCountStore(StateDir).Load());
        Assert.Equal(2, (await _logged.EntriesAsync()).Count(e => e.EventName == "refcount.clamped" && e.Level == LogLevel.WarningLevel));
        refCounts.Tell(GetRefCounts.Instance, TestActor);
        var snapshot = await ExpectMsgAsync<RefCountSnapshot>(Patience);
        Assert.Empty(snapshot.Counts);
    }

    [Fact]
    public async Task UpdateRefCount_should_reply_a_failure_and_keep_the_old_count_when_the_disk_write_fails()
    {
        var refCounts = Spawn();
        refCounts.Tell(new UpdateRefCount(LayerA, 1), TestActor);
        await ExpectMsgAsync<RefCountUpdated>(Patience);

        // The state dir turns into a file: every further save fails, as on a full or broken disk.
        Directory.Delete(StateDir, recursive: true);
        File.WriteAllText(StateDir, "not a directory");
        refCounts.Tell(new UpdateRefCount(LayerA, 1), TestActor);
        var failed = await ExpectMsgAsync<RefCountFailed>(Patience);
        refCounts.Tell(GetRefCounts.Instance, TestActor);
        var snapshot = await ExpectMsgAsync<RefCountSnapshot>(Patience);

        Assert.Equal(LayerA, failed.Layer);
        Assert.NotEmpty(failed.Error);
        Assert.Equal(1, snapshot.Counts[LayerA]);
        var logged = Assert.Single(await _logged.EntriesAsync(), e => e.EventName == "refcount.failed");
        Assert.Equal(LogLevel.ErrorLevel, logged.Level);
        Assert.NotNull(logged.Exception);
    }

    [Fact]
    public async Task Reconcile_should_set_each_count_to_the_images_that_reference_the_layer_and_log_each_change()
    {
        // Counts left by six pulls of one image (the old rule counted pulls), and one for a layer no
        // image references any more; LayerC's blob is gone though an image still names it.
        new RefCountStore(StateDir).Save(new Dictionary<string, int> { [LayerA] = 6, [LayerB] = 6, [LayerC] = 3 });
        _presence.Images["reg/app:1"] = [LayerA, LayerB, LayerC];
        _presence.Images["reg/app:2"] = [LayerA, LayerB];
        _presence.Images["reg/other:1"] = [LayerA, LayerA];
        _presence.Blobs.UnionWith([LayerA, LayerB]);
        var refCounts = Spawn();

        refCounts.Tell(Reconcile.AtStart, TestActor);
        var reconciled = await ExpectMsgAsync<Reconciled>(Patience);

        Assert.Equal(new Reconciled(3), reconciled);
        Assert.Equal(new Dictionary<string, int> { [LayerA] = 3, [LayerB] = 2 }, new RefCountStore(StateDir).Load());
        var updates = (await _logged.EntriesAsync()).Where(e => e.EventName == "refcount.updated").Select(e => e.Message).ToList();
        Assert.Equal(
            [
                $"refcount.updated {LayerA} delta -3 value 3",
                $"refcount.updated {LayerB} delta -4 value 2",
                $"refcount.updated {LayerC} delta -3 value 0",
            ],
            updates.Order(StringComparer.Ordinal));
        Assert.Contains(await _logged.EntriesAsync(), e => e.EventName == "refcount.reconciled" && e.Message.StartsWith("refcount.reconciled after agent start: 3 corrections; 2 layers counted from 3 images", StringComparison.Ordinal));

        _presence.Images.Remove("reg/app:1");
        refCounts.Tell(new Reconcile("rm of reg/app:1"), TestActor);
        Assert.Equal(new Reconciled(2), await ExpectMsgAsync<Reconciled>(Patience));
        Assert.Equal(new Dictionary<string, int> { [LayerA] = 2, [LayerB] = 1 }, new RefCountStore(StateDir).Load());
        refCounts.Tell(new Reconcile("nothing changed"), TestActor);
        Assert.Equal(new Reconciled(0), await ExpectMsgAsync<Reconciled>(Patience));
    }

    [Fact]
    public async Task Reconcile_should_reply_a_failure_when_containerd_cannot_list_its_content()
    {
        new RefCountStore(StateDir).Save(new Dictionary<string, int> { [LayerA] = 2 });
        _presence.Failure = new IOException("cannot reach containerd");
        var refCounts = Spawn();

        refCounts.Tell(Reconcile.AtStart, TestActor);
        var failed = await ExpectMsgAsync<RefCountFailed>(Patience);

        Assert.Equal(new RefCountFailed("*", "cannot reach containerd"), failed);
        Assert.Equal(2, new RefCountStore(StateDir).Load()[LayerA]);
    }

    [Fact]
    public async Task Starting_should_log_the_counts_it_loaded_and_remove_stale_temp_files()
    {
        new RefCountStore(StateDir).Save(new Dictionary<string, int> { [LayerA] = 2, [LayerB] = 1 });
        var stale = Path.Combine(StateDir, $".{RefCountStore.FileName}.{int.MaxValue - 1}.{Guid.NewGuid():N}.tmp");
        File.WriteAllText(stale, "{\"half");
        var refCounts = Spawn();

        refCounts.Tell(GetRefCounts.Instance, TestActor);
        await ExpectMsgAsync<RefCountSnapshot>(Patience);

        Assert.False(File.Exists(stale));
        var loaded = Assert.Single(await _logged.EntriesAsync(), e => e.EventName == "refcount.loaded");
        Assert.Equal($"refcount.loaded 2 layers from {new RefCountStore(StateDir).FilePath}; 1 stale temp files removed", loaded.Message);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _directory.Dispose();
        }
    }

    private IActorRef Spawn(Func<SkipInputs, bool>? policy = null)
    {
        var store = new RefCountStore(StateDir);
        return Sys.ActorOf(RefCountActor.Props(store, store.Load(), _presence, policy));
    }
}
