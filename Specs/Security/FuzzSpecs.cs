using System.Net;
using System.Net.WebSockets;
using System.Text;
using LayerLock.Specs.Locks.Contract;
using Xunit;
using Xunit.Abstractions;

namespace LayerLock.Specs.Security;

/// <summary>
/// Bad input at both doors — random bytes, truncated and deeply nested JSON, huge numbers,
/// invalid UTF-8, 1 MiB keys, unknown types, frames out of order — while a holder and a waiter
/// go about their business: every bad request gets a clear error, the Coordinator stays up, and
/// the bystanders' lock and queue place do not move.
/// </summary>
public sealed class FuzzSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Key = "sha256:8888888888888888888888888888888888888888888888888888888888888888";
    private const int Cases = 120;
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly int _seed = Environment.TickCount;
    private RunningCoordinator _coordinator = null!;
    private RemoteLockClient _holder = null!;
    private RemoteLockClient _waiter = null!;
    private LockAttempt _waiting = null!;
    private long _token;

    public async Task InitializeAsync()
    {
        output.WriteLine($"seed {_seed}");
        _coordinator = await RunningCoordinator.StartAsync();
        _holder = await RemoteLockClient.ConnectAsync(_coordinator.BaseAddress, "bystander-a");
        _token = (await (await _holder.LockAsync(Key, TimeSpan.Zero)).Outcome.WaitAsync(Patience)).Token;
        _waiter = await RemoteLockClient.ConnectAsync(_coordinator.BaseAddress, "bystander-b");
        _waiting = await _waiter.LockAsync(Key, TimeSpan.FromMinutes(5));
        await _coordinator.Table.WaitUntilAsync(t => t.Get(Key)?.Waiters.Count == 1, Patience);
    }

    public async Task DisposeAsync()
    {
        await _waiter.DisposeAsync();
        await _holder.DisposeAsync();
        await _coordinator.DisposeAsync();
    }

    [Fact]
    public async Task Garbage_over_HTTP_should_get_4xx_and_change_nothing()
    {
        var random = new Random(_seed);
        using var http = new HttpClient { BaseAddress = _coordinator.BaseAddress };
        foreach (var i in Enumerable.Range(0, Cases))
        {
            var path = new[] { "/lock", "/unlock", "/keepalive" }[random.Next(3)];
            var (_, body, _) = SessionGarbage(random);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync(path, content);
            Assert.True(
                response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Conflict or HttpStatusCode.OK,
                $"case {i}: {path} with {Describe(body, WebSocketMessageType.Text)} answered {(int)response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                Assert.Contains("\"error\":", await response.Content.ReadAsStringAsync());
            }
        }

        await AssertBystandersUntouchedAsync();
    }

    private async Task AssertBystandersUntouchedAsync()
    {
        var snapshot = _coordinator.Table.Get(Key)!;
        Assert.Equal(("bystander-a", _token), (snapshot.Holder, snapshot.Token));
        Assert.Equal(["bystander-b"], snapshot.Waiters);
        Assert.False(_waiting.Outcome.IsCompleted);
        using var http = new HttpClient { BaseAddress = _coordinator.BaseAddress };
        Assert.Equal("ok", await http.GetStringAsync("/healthz"));
        await using var fresh = await RemoteLockClient.ConnectAsync(_coordinator.BaseAddress, "fresh");
        Assert.True((await (await fresh.LockAsync("sha256:fresh", TimeSpan.Zero)).Outcome.WaitAsync(Patience)).Acquired);
    }

    private static (bool Hello, byte[] Payload, WebSocketMessageType Type) SessionGarbage(Random random)
    {
        var hello = random.Next(2) == 0;
        byte[] Text(string s) => Encoding.UTF8.GetBytes(s);
        return random.Next(10) switch
        {
            0 => (hello, RandomBytes(random, random.Next(1, 4096)), WebSocketMessageType.Binary),
            1 => (hello, RandomBytes(random, random.Next(1, 512)), WebSocketMessageType.Text),
            2 => (hello, Text($"{{\"type\":\"lock\",\"req\":1,\"key\":\"{Key}\",\"wait_ms\":0}}"[..random.Next(1, 40)]), WebSocketMessageType.Text),
            3 => (hello, Text(new string('[', 5000) + new string(']', 5000)), WebSocketMessageType.Text),
            4 => (hello, Text($"{{\"type\":\"lock\",\"req\":1e400,\"key\":\"{Key}\",\"wait_ms\":99999999999999999999999}}"), WebSocketMessageType.Text),
            5 => (hello, [0x7B, 0x22, 0x74, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x7D], WebSocketMessageType.Text),
            6 => (hello, Text($"{{\"type\":\"lock\",\"req\":7,\"key\":\"{new string('k', 1 << 20)}\",\"wait_ms\":0}}"), WebSocketMessageType.Text),
            7 => (hello, Text($"{{\"type\":\"{(char)('a' + random.Next(26))}steal\",\"key\":\"{Key}\"}}"), WebSocketMessageType.Text),
            8 => (hello, Text($"{{\"type\":\"unlock\",\"key\":\"{Key}\",\"token\":{random.NextInt64()},\"success\":true}}"), WebSocketMessageType.Text),
            _ => (hello, Text($"{{\"type\":\"lock\",\"req\":{random.Next()},\"key\":\"{Key}\",\"wait_ms\":{random.Next(-5, 5)}}}"), WebSocketMessageType.Text),
        };
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Describe(byte[] payload, WebSocketMessageType type) =>
        $"{type} {payload.Length} bytes: {Encoding.UTF8.GetString(payload, 0, Math.Min(payload.Length, 60))}";
}
