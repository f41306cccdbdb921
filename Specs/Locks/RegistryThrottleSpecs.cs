using System.Diagnostics;
using LayerLock.Messages.Locks;
using Xunit;

namespace LayerLock.Specs.Locks;

/// <summary>
/// A holder that met a 429 with <c>Retry-After</c> reports it at release: no request naming that
/// registry is granted, on any key, until the time has passed; requests for other registries, or
/// for none (HTTP clients), are not held back.
/// </summary>
public sealed class RegistryThrottleSpecs : LockManagerSpec
{
    private const string Registry = "registry.example:5000";
    private const string OtherKey = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    private static readonly TimeSpan Pause = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task A_rate_limited_release_should_hold_every_grant_for_that_registry_until_the_pause_ends()
    {
        var (a, b, c, http) = (CreateProbe(), CreateProbe(), CreateProbe(), CreateProbe());
        var held = await GrantedAsync(a, "node-a", Key, Registry);
        var queued = Request(b, "node-b", Key, Registry);
        await b.ExpectMsgAsync<LockQueued>(q => q.RequestId == queued);

        a.Send(Manager, new ReleaseLock(Key, "node-a", held.Token, false, "429", Pause));
        await a.ExpectMsgAsync<LockReleased>();
        var paused = Stopwatch.StartNew();

        // Another key of the same registry, free: queued all the same. No registry: granted at once.
        var other = Request(c, "node-c", OtherKey, Registry);
        Assert.Equal(1, (await c.ExpectMsgAsync<LockQueued>(q => q.RequestId == other)).Position);
        await GrantedAsync(http, "http-client", "sha256:3333333333333333333333333333333333333333333333333333333333333333", null);

        var (grantB, grantC) = (await b.ExpectMsgAsync<LockGranted>(Pause * 3), await c.ExpectMsgAsync<LockGranted>(Pause * 3));
        Assert.True(paused.Elapsed >= Pause - TimeSpan.FromMilliseconds(200), $"granted after {paused.Elapsed}");
        Assert.Equal(queued, grantB.RequestId);
        Assert.Equal(other, grantC.RequestId);
        Assert.Contains(Log.Entries, e => e.EventName == "registry.throttled" && e.Message.Contains(Registry, StringComparison.Ordinal));
        Assert.Contains(Log.Entries, e => e.EventName == "lock.deferred");
        Assert.Equal(1, Services.Throttles.Throttled);
    }

    [Fact]
    public async Task A_waiter_for_another_registry_behind_a_paused_head_should_go_when_the_head_leaves()
    {
        var (a, b, c) = (CreateProbe(), CreateProbe(), CreateProbe());
        var held = await GrantedAsync(a, "node-a", Key, Registry);
        a.Send(Manager, new ReleaseLock(Key, "node-a", held.Token, false, "429", TimeSpan.FromMinutes(5)));
        await a.ExpectMsgAsync<LockReleased>();
        var head = Request(b, "node-b", Key, Registry);
        await b.ExpectMsgAsync<LockQueued>(q => q.RequestId == head);
        var behind = Request(c, "node-c", Key, "other.example");
        await c.ExpectMsgAsync<LockQueued>(q => q.RequestId == behind);

        b.Send(Manager, new CancelWait(Key, "node-b", head));

        await b.ExpectMsgAsync<LockNotAcquired>();
        Assert.Equal(behind, (await c.ExpectMsgAsync<LockGranted>()).RequestId);
    }

    private long Request(Akka.TestKit.TestProbe session, string node, string key, string? registry)
    {
        var requestId = NextRequestId();
        session.Send(Manager, new AcquireLock(key, node, requestId, Long, Registry: registry));
        return requestId;
    }

    private async Task<LockGranted> GrantedAsync(Akka.TestKit.TestProbe session, string node, string key, string? registry)
    {
        var requestId = Request(session, node, key, registry);
        return await session.ExpectMsgAsync<LockGranted>(g => g.RequestId == requestId);
    }
}
