using LayerLock.Coordinator.Locks;
using Xunit;

namespace LayerLock.Specs.Locks.Contract;

/// <summary>
/// The lock semantics every way in must keep: the in-process LockManager, the agents' Akka.Remote
/// link and the HTTP API each run this same suite.
/// </summary>
public abstract class LockContractSpecs : IAsyncLifetime
{
    protected const string Key = "sha256:2222222222222222222222222222222222222222222222222222222222222222";
    protected static readonly TimeSpan Long = TimeSpan.FromMinutes(1);
    protected static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly List<ILockClient> _clients = [];

    public abstract Task InitializeAsync();

    public virtual async Task DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    protected abstract Task<ILockClient> ConnectClientAsync(string node);

    /// <summary>The lock table of the service under test (the read side every transport shares).</summary>
    private protected abstract LockTable Table { get; }

    private protected Task WaitUntilQueuedAsync(string key, string node) =>
        Table.WaitUntilAsync(table => table.Get(key)?.Waiters.Contains(node) == true, Patience);

    private protected Task WaitUntilNotQueuedAsync(string key, string node) =>
        Table.WaitUntilAsync(table => table.Get(key)?.Waiters.Contains(node) != true, Patience);

    private protected (string? Holder, IReadOnlyList<string> Waiters) State(string key) =>
        Table.Get(key) is { } snapshot ? (snapshot.Holder, snapshot.Waiters) : (null, []);

    protected async Task<ILockClient> ConnectAsync(string node)
    {
        var client = await ConnectClientAsync(node);
        _clients.Add(client);
        return client;
    }

    protected static async Task<AttemptOutcome> OutcomeAsync(LockAttempt attempt) => await attempt.Outcome.WaitAsync(Patience);

    protected async Task<long> HoldAsync(ILockClient client)
    {
        var outcome = await OutcomeAsync(await client.LockAsync(Key, Long));
        Assert.True(outcome.Acquired, $"{client.Node} should hold {Key} but: {outcome.Reason}");
        return outcome.Token;
    }

    protected async Task<LockAttempt> QueueAsync(ILockClient client)
    {
        var attempt = await client.LockAsync(Key, Long);
        await WaitUntilQueuedAsync(Key, client.Node);
        return attempt;
    }

    [Fact]
    public async Task Waiters_should_be_granted_in_arrival_order_with_increasing_tokens()
    {
        var (a, b, c) = (await ConnectAsync("node-a"), await ConnectAsync("node-b"), await ConnectAsync("node-c"));
        var tokenA = await HoldAsync(a);
        var waitB = await QueueAsync(b);
        var waitC = await QueueAsync(c);

        Assert.Equal("node-b", (await a.UnlockAsync(Key, tokenA)).Next);
        var grantedB = await OutcomeAsync(waitB);
        Assert.False(waitC.Outcome.IsCompleted);
        Assert.Equal("node-c", (await b.UnlockAsync(Key, grantedB.Token)).Next);
        var grantedC = await OutcomeAsync(waitC);

        Assert.True(grantedB.Acquired && grantedC.Acquired);
        Assert.True(tokenA < grantedB.Token && grantedB.Token < grantedC.Token);
    }

    [Fact]
    public async Task Unlock_with_failure_should_grant_the_next_waiter()
    {
        var (a, b) = (await ConnectAsync("node-a"), await ConnectAsync("node-b"));
        var token = await HoldAsync(a);
        var waitB = await QueueAsync(b);

        var released = await a.UnlockAsync(Key, token, success: false, error: "sha256 mismatch");

        Assert.Equal((true, "node-b"), (released.Released, released.Next));
        Assert.True((await OutcomeAsync(waitB)).Acquired);
    }

    [Fact]
    public async Task A_holder_whose_connection_dies_should_lose_the_lock_to_the_next_waiter()
    {
        var (a, b) = (await ConnectAsync("node-a"), await ConnectAsync("node-b"));
        var token = await HoldAsync(a);
        var waitB = await QueueAsync(b);

        await a.DropAsync();

        var granted = await OutcomeAsync(waitB);
        Assert.True(granted.Acquired);
        Assert.True(granted.Token > token);
    }

    [Fact]
    public async Task A_waiter_whose_connection_dies_should_never_be_granted()
    {
        var (a, b, c) = (await ConnectAsync("node-a"), await ConnectAsync("node-b"), await ConnectAsync("node-c"));
        var token = await HoldAsync(a);
        await QueueAsync(b);
        var waitC = await QueueAsync(c);

        await b.DropAsync();
        await WaitUntilNotQueuedAsync(Key, "node-b");

        Assert.Equal("node-c", (await a.UnlockAsync(Key, token)).Next);
        Assert.True((await OutcomeAsync(waitC)).Acquired);
    }

    [Fact]
    public async Task Asking_again_for_a_held_key_should_return_the_same_token()
    {
        var a = await ConnectAsync("node-a");
        var token = await HoldAsync(a);

        var again = await OutcomeAsync(await a.LockAsync(Key, Long));

        Assert.Equal((true, token), (again.Acquired, again.Token));
    }

    [Fact]
    public async Task Unlock_by_a_non_holder_or_with_a_stale_token_should_be_refused_and_change_nothing()
    {
        var (a, b) = (await ConnectAsync("node-a"), await ConnectAsync("node-b"));
        var token = await HoldAsync(a);
        await QueueAsync(b);

        var notHolder = await b.UnlockAsync(Key, token);
        var stale = await a.UnlockAsync(Key, token - 1);

        Assert.False(notHolder.Released);
        Assert.Contains("not the holder", notHolder.Error);
        Assert.False(stale.Released);
        Assert.Contains("stale", stale.Error);
        var (holder, waiters) = State(Key);
        Assert.Equal("node-a", holder);
        Assert.Equal(["node-b"], waiters);
    }

    [Fact]
    public async Task A_cancelled_wait_should_leave_the_queue()
    {
        var (a, b) = (await ConnectAsync("node-a"), await ConnectAsync("node-b"));
        var token = await HoldAsync(a);
        var waitB = await QueueAsync(b);

        await b.CancelAsync(waitB);
        await WaitUntilNotQueuedAsync(Key, "node-b");

        Assert.Null((await a.UnlockAsync(Key, token)).Next);
    }

    [Fact]
    public async Task Try_lock_should_never_queue()
    {
        var (a, b) = (await ConnectAsync("node-a"), await ConnectAsync("node-b"));
        await HoldAsync(a);

        var busy = await OutcomeAsync(await b.LockAsync(Key, TimeSpan.Zero));

        Assert.Equal((false, "busy", "node-a"), (busy.Acquired, busy.Reason, busy.Holder));
        Assert.Empty((State(Key)).Waiters);
    }

    [Fact]
    public async Task A_wait_should_end_with_timeout_after_its_wait_time()
    {
        var (a, b) = (await ConnectAsync("node-a"), await ConnectAsync("node-b"));
        await HoldAsync(a);

        var timedOut = await OutcomeAsync(await b.LockAsync(Key, TimeSpan.FromMilliseconds(300)));

        Assert.Equal((false, "timeout"), (timedOut.Acquired, timedOut.Reason));
        Assert.Empty((State(Key)).Waiters);
    }
}
