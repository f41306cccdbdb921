using LayerLock.Actors;
using LayerLock.NodeAgent.RefCounts;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Logging;
using Xunit;

namespace LayerLock.Specs.RefCounts;

public sealed class RefCountActorSpecs : ActorSpec, IDisposable
{
    private const string LayerA = "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
    private const string LayerB = "sha256:bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb";
    private const string LayerC = "sha256:cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly TempDirectory _directory = new();
    private readonly FakeContentPresence _presence = new();

    private string StateDir => Path.Combine(_directory.Path, "state");

    public void Dispose() => _directory.Dispose();

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

        var decision = await refCounts.Ask<SkipDecision>(new ShouldSkipOperation(LayerA), Patience);

        Assert.Equal(new SkipDecision(LayerA, refCount, present, skip), decision);
        Assert.Equal(1, _presence.Checks);
        var logged = Assert.Single(Log.Entries, e => e.EventName == "skip.decision");
        Assert.Equal(LogLevel.Information, logged.Level);
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

        var decision = await refCounts.Ask<SkipDecision>(new ShouldSkipOperation(LayerA), Patience);

        Assert.False(decision.Skip);
        Assert.Equal([new SkipInputs(LayerA, 0, true)], seen);
    }

    [Fact]
    public async Task ShouldSkipOperation_should_reply_a_failure_when_containerd_cannot_be_asked()
    {
        _presence.Failure = new TimeoutException("ctr did not answer");
        var refCounts = Spawn();

        var failed = await refCounts.Ask<RefCountFailed>(new ShouldSkipOperation(LayerA), Patience);

        Assert.Equal(new RefCountFailed(LayerA, "ctr did not answer"), failed);
        Assert.Contains(Log.Entries, e => e.EventName == "refcount.failed" && e.Level == LogLevel.Error);
    }

    [Fact]
    public async Task ShouldSkipOperations_should_decide_every_layer_as_one_at_a_time_would_on_one_listing()
    {
        new RefCountStore(StateDir).Save(new Dictionary<string, int> { [LayerA] = 2, [LayerB] = 1 });
        _presence.Blobs.Add(LayerA);
        _presence.Blobs.Add(LayerC);
        var refCounts = Spawn();

        var decisions = await refCounts.Ask<SkipDecisions>(new ShouldSkipOperations([LayerC, LayerA, LayerB]), Patience);

        Assert.Equal(
            [new SkipDecision(LayerC, 0, true, false), new SkipDecision(LayerA, 2, true, true), new SkipDecision(LayerB, 1, false, false)],
            decisions.Decisions);
        Assert.Equal(1, _presence.Listings);
        Assert.Equal(0, _presence.Checks);
        Assert.Equal(
            [$"skip.decision {LayerC} refcount 0 present True skip False", $"skip.decision {LayerA} refcount 2 present True skip True", $"skip.decision {LayerB} refcount 1 present False skip False"],
            Log.Entries.Where(e => e.EventName == "skip.decision").Select(e => e.Message));
    }

    [Fact]
    public async Task ShouldSkipOperations_should_reply_a_failure_when_containerd_cannot_be_asked()
    {
        _presence.Failure = new TimeoutException("ctr did not answer");
        var refCounts = Spawn();

        var failed = await refCounts.Ask<RefCountFailed>(new ShouldSkipOperations([LayerA, LayerB]), Patience);

        Assert.Equal(new RefCountFailed("*", "ctr did not answer"), failed);
    }

    [Fact]
    public async Task UpdateRefCount_should_persist_before_replying_and_log_the_new_value()
    {
        var refCounts = Spawn();

        await refCounts.Ask<RefCountUpdated>(new UpdateRefCount(LayerA, 1), Patience);
        var updated = await refCounts.Ask<RefCountUpdated>(new UpdateRefCount(LayerA, 2), Patience);
        await refCounts.Ask<RefCountUpdated>(new UpdateRefCount(LayerB, 1), Patience);

        Assert.Equal(new RefCountUpdated(LayerA, 3), updated);
        var onDisk = new RefCountStore(StateDir).Load();
        Assert.Equal(3, onDisk[LayerA]);
        Assert.Equal(1, onDisk[LayerB]);
        Assert.Contains(Log.Entries, e => e.EventName == "refcount.updated" && e.Message == $"refcount.updated {LayerA} delta 2 value 3");
    }

    [Fact]
    public async Task A_restarted_actor_should_see_the_counts_saved_by_the_previous_one()
    {
        var first = Spawn();
        await first.Ask<RefCountUpdated>(new UpdateRefCount(LayerA, 2), Patience);
        Sys.Stop(first);

        var second = Spawn();
        var snapshot = await second.Ask<RefCountSnapshot>(GetRefCounts.Instance, Patience);

        Assert.Equal(2, Assert.Single(snapshot.Counts, c => c.Key == LayerA).Value);
    }

    [Fact]
    public async Task UpdateRefCount_should_never_go_below_zero_and_warn_when_it_clamps()
    {
        var refCounts = Spawn();
        await refCounts.Ask<RefCountUpdated>(new UpdateRefCount(LayerA, 1), Patience);

        var updated = await refCounts.Ask<RefCountUpdated>(new UpdateRefCount(LayerA, -3), Patience);
        var fromNothing = await refCounts.Ask<RefCountUpdated>(new UpdateRefCount(LayerB, -1), Patience);

        Assert.Equal(new RefCountUpdated(LayerA, 0), updated);
        Assert.Equal(new RefCountUpdated(LayerB, 0), fromNothing);
        Assert.Empty(new RefCountStore(StateDir).Load());
        Assert.Equal(2, Log.Entries.Count(e => e.EventName == "refcount.clamped" && e.Level == LogLevel.Warning));
        var snapshot = await refCounts.Ask<RefCountSnapshot>(GetRefCounts.Instance, Patience);
        Assert.Empty(snapshot.Counts);
    }

    [Fact]
    public async Task UpdateRefCount_should_reply_a_failure_and_keep_the_old_count_when_the_disk_write_fails()
    {
        var refCounts = Spawn();
        await refCounts.Ask<RefCountUpdated>(new UpdateRefCount(LayerA, 1), Patience);

        // The state dir turns into a file: every further save fails, as on a full or broken disk.
        Directory.Delete(StateDir, recursive: true);
        File.WriteAllText(StateDir, "not a directory");
        var failed = await refCounts.Ask<RefCountFailed>(new UpdateRefCount(LayerA, 1), Patience);
        var snapshot = await refCounts.Ask<RefCountSnapshot>(GetRefCounts.Instance, Patience);

        Assert.Equal(LayerA, failed.Layer);
        Assert.NotEmpty(failed.Error);
        Assert.Equal(1, snapshot.Counts[LayerA]);
        var logged = Assert.Single(Log.Entries, e => e.EventName == "refcount.failed");
        Assert.Equal(LogLevel.Error, logged.Level);
        Assert.NotNull(logged.Exception);
    }

    [Fact]
    public async Task Reconcile_should_zero_the_counts_of_blobs_containerd_does_not_have_and_log_each()
    {
        new RefCountStore(StateDir).Save(new Dictionary<string, int> { [LayerA] = 2, [LayerB] = 1, [LayerC] = 3 });
        _presence.Blobs.Add(LayerB);
        var refCounts = Spawn();

        var reconciled = await refCounts.Ask<Reconciled>(Reconcile.Instance, Patience);

        Assert.Equal(new Reconciled(2), reconciled);
        Assert.Equal(new Dictionary<string, int> { [LayerB] = 1 }, new RefCountStore(StateDir).Load());
        var corrections = Log.Entries.Where(e => e.EventName == "refcount.corrected").Select(e => e.Message).ToList();
        Assert.Equal(
            [
                $"refcount.corrected {LayerA} from 2 to 0: containerd does not have the blob",
                $"refcount.corrected {LayerC} from 3 to 0: containerd does not have the blob",
            ],
            corrections);
        Assert.Equal(new Reconciled(0), await refCounts.Ask<Reconciled>(Reconcile.Instance, Patience));
    }

    [Fact]
    public async Task Reconcile_should_reply_a_failure_when_containerd_cannot_list_its_content()
    {
        new RefCountStore(StateDir).Save(new Dictionary<string, int> { [LayerA] = 2 });
        _presence.Failure = new IOException("cannot reach containerd");
        var refCounts = Spawn();

        var failed = await refCounts.Ask<RefCountFailed>(Reconcile.Instance, Patience);

        Assert.Equal(new RefCountFailed("*", "cannot reach containerd"), failed);
        Assert.Equal(2, new RefCountStore(StateDir).Load()[LayerA]);
    }

    [Fact]
    public void Spawning_on_a_corrupt_file_should_fail_with_a_clear_error_and_leave_the_file_alone()
    {
        Directory.CreateDirectory(StateDir);
        var path = Path.Combine(StateDir, RefCountStore.FileName);
        File.WriteAllText(path, "{\"sha256:aa\": 2");

        var error = Assert.Throws<InvalidDataException>(() => Spawn());

        Assert.Contains(path, error.Message);
        Assert.Equal("{\"sha256:aa\": 2", File.ReadAllText(path));
    }

    private ActorRef Spawn(Func<SkipInputs, bool>? policy = null) =>
        Sys.Spawn(Props.FromProducer(() => new RefCountActor(new RefCountStore(StateDir), _presence, policy, Log.CreateLogger("LayerLock.NodeAgent.RefCounts"))));
}
