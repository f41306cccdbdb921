using System.Net.WebSockets;
using System.Text;
using LayerLock.Messages.Session;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Sessions;

public sealed class SessionSpecs : IAsyncLifetime
{
    private const string Key = "sha256:3333333333333333333333333333333333333333333333333333333333333333";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly List<IAsyncDisposable> _disposables = [];
    private RunningCoordinator _coordinator = null!;

    public async Task InitializeAsync() => _coordinator = await RunningCoordinator.StartAsync();

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }

        await _coordinator.DisposeAsync();
    }

    [Theory]
    [InlineData("frame-too-large")]
    [InlineData("bad-frame")]
    [InlineData("bad-frame:empty")]
    [InlineData("unknown-type")]
    [InlineData("binary-frame")]
    public async Task A_bad_frame_should_get_an_error_and_close_the_session_with_policy_violation(string code)
    {
        var holder = await ConnectAsync("node-a");
        var token = (await (await holder.LockAsync(Key, Patience)).Outcome.WaitAsync(Patience)).Token;
        var waiter = await ConnectAsync("node-b");
        var waiting = await waiter.LockAsync(Key, TimeSpan.FromMinutes(1));

        var (bytes, type) = code switch
        {
            "frame-too-large" => (Encoding.UTF8.GetBytes($"{{\"type\":\"cancel\",\"req\":1,\"pad\":\"{new string('x', 70_000)}\"}}"), WebSocketMessageType.Text),
            "bad-frame" => ("{\"type\": \"lock\", \"req\": 1, "u8.ToArray(), WebSocketMessageType.Text),

            // The session waits for a frame with a zero-byte read: an empty one must still be seen.
            "bad-frame:empty" => ([], WebSocketMessageType.Text),
            "unknown-type" => ("{\"type\": \"steal\", \"key\": \"k\"}"u8.ToArray(), WebSocketMessageType.Text),
            _ => (new byte[] { 1, 2, 3 }, WebSocketMessageType.Binary),
        };
        await holder.SendRawAsync(bytes, type);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await holder.ClosedAsync());
        var error = Assert.IsType<ErrorFrame>(holder.Received.Last());
        Assert.Equal(code.Split(':')[0], error.Code);
        var granted = await waiting.Outcome.WaitAsync(Patience);
        Assert.True(granted.Acquired && granted.Token > token);
    }

    [Fact]
    public async Task A_frame_just_under_the_limit_should_be_read_whole_and_keep_the_session()
    {
        var client = await ConnectAsync("node-a");

        // 60 KB arrives in many WebSocket reads: the receive buffer must grow, not cut the frame.
        await client.SendRawAsync(Encoding.UTF8.GetBytes($"{{\"type\":\"cancel\",\"req\":77,\"pad\":\"{new string('x', 60_000)}\"}}"), WebSocketMessageType.Text);
        var granted = await (await client.LockAsync(Key, TimeSpan.Zero)).Outcome.WaitAsync(Patience);

        Assert.Equal("unknown-request", Assert.IsType<ErrorFrame>(client.Received.First(f => f is ErrorFrame)).Code);
        Assert.True(granted.Acquired);
    }

    [Fact]
    public async Task A_session_that_does_not_start_with_hello_should_be_refused()
    {
        var client = await WebSocketLockClient.ConnectWithoutHelloAsync(_coordinator.BaseAddress, "node-a");
        _disposables.Add(client);

        await client.LockAsync(Key, TimeSpan.Zero);

        Assert.Equal(WebSocketCloseStatus.PolicyViolation, await client.ClosedAsync());
        Assert.Equal("hello-required", Assert.IsType<ErrorFrame>(client.Received.Last()).Code);
        Assert.Equal(0, _coordinator.Table.Count);
    }

    [Fact]
    public async Task A_bad_lock_request_should_get_an_error_and_keep_the_session()
    {
        var client = await ConnectAsync("node-a");

        var refused = await (await client.LockAsync(string.Empty, TimeSpan.Zero)).Outcome.WaitAsync(Patience);
        var granted = await (await client.LockAsync(Key, TimeSpan.Zero)).Outcome.WaitAsync(Patience);

        Assert.Equal((false, "bad-request"), (refused.Acquired, refused.Reason));
        Assert.True(granted.Acquired);
    }

    [Fact]
    public async Task A_new_session_of_the_same_node_should_carry_its_held_locks_over()
    {
        var first = await ConnectAsync("node-a");
        var token = (await (await first.LockAsync(Key, Patience)).Outcome.WaitAsync(Patience)).Token;
        var waiter = await ConnectAsync("node-b");
        var waiting = await waiter.LockAsync(Key, TimeSpan.FromMinutes(1));
        await _coordinator.Table.WaitUntilAsync(t => t.Get(Key)?.Waiters.Count == 1, Patience);

        var second = await WebSocketLockClient.ConnectAsync(_coordinator.BaseAddress, "node-a", [new HeldLock(Key, token)]);
        _disposables.Add(second);

        var welcome = await second.Welcome;
        Assert.Equal([new HeldLock(Key, token)], welcome.Claimed);
        Assert.Equal(WebSocketCloseStatus.NormalClosure, await first.ClosedAsync());
        Assert.False(waiting.Outcome.IsCompleted);
        Assert.Equal("node-a", _coordinator.Table.Get(Key)!.Holder);
        Assert.Equal("node-b", (await second.UnlockAsync(Key, token)).Next);
        Assert.True((await waiting.Outcome.WaitAsync(Patience)).Acquired);
        Assert.DoesNotContain(_coordinator.LogLines, line => line.Contains("lock.failover", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_held_lock_presented_with_a_wrong_token_should_be_rejected_in_the_welcome()
    {
        var first = await ConnectAsync("node-a");
        var token = (await (await first.LockAsync(Key, Patience)).Outcome.WaitAsync(Patience)).Token;

        var second = await WebSocketLockClient.ConnectAsync(_coordinator.BaseAddress, "node-a", [new HeldLock(Key, token + 1)]);
        _disposables.Add(second);

        var rejected = Assert.Single((await second.Welcome).Rejected);
        Assert.Contains("stale", rejected.Reason);
        await _coordinator.Table.WaitUntilAsync(t => t.Get(Key) is null, Patience);
    }

    [Fact]
    public async Task A_holder_that_stops_answering_pings_should_lose_its_lock_after_the_keepalive_timeout()
    {
        using var silent = await SilentWebSocketPeer.ConnectAsync(_coordinator.BaseAddress, "/v1/session");
        await silent.SendTextAsync("{\"type\":\"hello\",\"node\":\"node-a\"}");
        Assert.Contains("\"welcome\"", await silent.ReceiveTextAsync());
        await silent.SendTextAsync($"{{\"type\":\"lock\",\"req\":1,\"key\":\"{Key}\",\"wait_ms\":0}}");
        Assert.Contains("\"granted\"", await silent.ReceiveTextAsync());
        var waiter = await ConnectAsync("node-b");

        var waiting = await waiter.LockAsync(Key, TimeSpan.FromMinutes(1));

        // keep-alive interval 1 s + timeout 2 s, with room for a loaded machine.
        Assert.True((await waiting.Outcome.WaitAsync(TimeSpan.FromSeconds(15))).Acquired);
        Assert.Contains(_coordinator.LogLines, line => line.Contains("lock.failover", StringComparison.Ordinal) && line.Contains("node-a", StringComparison.Ordinal));
    }

    private async Task<WebSocketLockClient> ConnectAsync(string node)
    {
        var client = await WebSocketLockClient.ConnectAsync(_coordinator.BaseAddress, node);
        _disposables.Add(client);
        return client;
    }
}
