using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Akka.Configuration;
using LayerLock.Messages.Agents;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Serialization;
using Xunit;
using Xunit.Abstractions;

namespace LayerLock.Specs.Security;

/// <summary>
/// Bad input at both doors — random bytes, truncated and deeply nested JSON, huge numbers,
/// invalid UTF-8, 1 MiB keys, unknown types — over HTTP, as raw bytes on the Akka.Remote port,
/// and as messages the Coordinator cannot read over a real association, while a holder and a
/// waiter go about their business: the Coordinator stays up, and the bystanders' lock and queue
/// place do not move.
/// </summary>
public sealed class FuzzSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Key = "sha256:8888888888888888888888888888888888888888888888888888888888888888";
    private const int Cases = 120;
    private const int RemoteCases = 60;
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
            var body = Garbage(random);
            using var content = new ByteArrayContent(body);
            content.Headers.ContentType = new("application/json");
            using var response = await http.PostAsync(path, content);
            Assert.True(
                response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.Conflict or HttpStatusCode.OK,
                $"case {i}: {path} with {Describe(body)} answered {(int)response.StatusCode}");
            if (response.StatusCode == HttpStatusCode.BadRequest)
            {
                Assert.Contains("\"error\":", await response.Content.ReadAsStringAsync());
            }
        }

        await AssertBystandersUntouchedAsync();
    }

    [Fact]
    public async Task Garbage_bytes_on_the_remoting_port_should_change_nothing()
    {
        var random = new Random(_seed);
        var port = await RemotingPortAsync();
        foreach (var i in Enumerable.Range(0, RemoteCases))
        {
            var bytes = RemotingGarbage(random);
            using var written = new CancellationTokenSource(Patience);
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), written.Token);
            try
            {
                await socket.SendAsync(bytes, SocketFlags.None, written.Token);
                socket.Shutdown(SocketShutdown.Send);
            }
            catch (SocketException reset)
            {
                // The Coordinator may close the connection before all of it is written.
                output.WriteLine($"case {i}: {reset.SocketErrorCode} after garbage of {bytes.Length} bytes");
            }
        }

        await AssertBystandersUntouchedAsync();
    }

    [Fact]
    public async Task Messages_the_coordinator_cannot_read_over_a_real_association_should_change_nothing()
    {
        var random = new Random(_seed);
        using var forger = new Akka.TestKit.Xunit2.TestKit(ActorSystem.Create("forger", ForgingConfig()));
        var agent = forger.CreateTestProbe();
        var lockManager = forger.Sys.ActorSelection(await LockManagerPathAsync());
        lockManager.Tell(new RegisterAgent("forger", []), agent.Ref);
        await agent.ExpectMsgAsync<AgentRegistered>(Patience);
        var session = agent.LastSender;

        foreach (var i in Enumerable.Range(0, RemoteCases))
        {
            var forged = ForgedMessage(random);
            if (random.Next(2) == 0)
            {
                agent.Send(session, forged);
            }
            else
            {
                lockManager.Tell(forged, agent.Ref);
            }
        }

        // The association carried all of it and still carries the next message.
        agent.Send(session, new ReconcileHeld([], 0));
        await agent.FishForMessageAsync(m => m is LinkAlive, Patience);
        await AssertBystandersUntouchedAsync();
    }

    private static Config ForgingConfig() =>
        ConfigurationFactory.ParseString(ForgingLayerLockSerializer.Hocon)
            .WithFallback(RemoteLockClient.AgentConfig);

    private async Task<string> LockManagerPathAsync()
    {
        using var http = new HttpClient { BaseAddress = _coordinator.BaseAddress, Timeout = Patience };
        var link = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(http, "/v1/agent-link");
        return link.GetProperty("lock_manager").GetString()!;
    }

    private async Task<int> RemotingPortAsync() =>
        ActorPath.Parse(await LockManagerPathAsync()).Address.Port ?? throw new InvalidOperationException("the agent link names no port");

    /// <summary>Random bytes, and frames that look like DotNetty's (4-byte big-endian length, then a payload) but are not.</summary>
    private static byte[] RemotingGarbage(Random random)
    {
        byte[] Framed(int length, byte[] payload) => [(byte)(length >> 24), (byte)(length >> 16), (byte)(length >> 8), (byte)length, .. payload];
        return random.Next(6) switch
        {
            0 => Framed(int.MaxValue, RandomBytes(random, random.Next(0, 64))),
            1 => Framed(-1, RandomBytes(random, random.Next(0, 64))),
            2 => Framed(1 << 20, RandomBytes(random, random.Next(0, 4096))),
            3 => RandomBytes(random, random.Next(1, 4)) is var payload ? Framed(payload.Length, payload) : [],
            4 => RandomBytes(random, random.Next(1, 512)) is var body ? Framed(body.Length, body) : [],
            _ => RandomBytes(random, random.Next(1, 8192)),
        };
    }

    /// <summary>Unknown manifests, payloads that are not JSON or not the right JSON, and well-formed requests that no session sent.</summary>
    private ForgedWireMessage ForgedMessage(Random random)
    {
        var manifests = new[] { "acquire", "release", "cancel", "claim", "progress", "register", "reconcile", "granted", "alive" };
        byte[] Text(string s) => Encoding.UTF8.GetBytes(s);
        return random.Next(8) switch
        {
            0 => new($"{(char)('a' + random.Next(26))}steal", Text("{}")),
            1 => new(manifests[random.Next(manifests.Length)], RandomBytes(random, random.Next(0, 2048))),
            2 => new(manifests[random.Next(manifests.Length)], Text("{\"key\":null,\"node\":null,\"held\":null,\"token\":\"x\"}")),
            3 => new(manifests[random.Next(manifests.Length)], Text(new string('[', 5000) + new string(']', 5000))),
            4 => new("release", Text($"{{\"key\":\"{Key}\",\"node\":\"bystander-a\",\"token\":{_token},\"success\":false,\"error\":\"forged\"}}")),
            5 => new("claim", Text($"{{\"key\":\"{Key}\",\"node\":\"forger\",\"token\":{_token + 1}}}")),
            6 => new("acquire", Text($"{{\"key\":\"{new string('k', 100_000)}\",\"node\":\"forger\",\"request_id\":1,\"wait\":0}}")),
            _ => new(string.Empty, RandomBytes(random, random.Next(0, 64))),
        };
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

    /// <summary>A bad JSON body: random bytes, truncated or deeply nested JSON, huge numbers, invalid UTF-8, a 1 MiB key, unknown fields.</summary>
    private static byte[] Garbage(Random random)
    {
        byte[] Text(string s) => Encoding.UTF8.GetBytes(s);
        return random.Next(10) switch
        {
            0 => RandomBytes(random, random.Next(1, 4096)),
            1 => RandomBytes(random, random.Next(1, 512)),
            2 => Text($"{{\"key\":\"{Key}\",\"node\":\"fuzz\",\"wait_ms\":0}}"[..random.Next(1, 40)]),
            3 => Text(new string('[', 5000) + new string(']', 5000)),
            4 => Text($"{{\"key\":\"{Key}\",\"node\":\"fuzz\",\"token\":1e400,\"wait_ms\":99999999999999999999999}}"),
            5 => [0x7B, 0x22, 0x74, 0xC3, 0x28, 0xFF, 0xFE, 0x22, 0x7D],
            6 => Text($"{{\"key\":\"{new string('k', 1 << 20)}\",\"node\":\"fuzz\",\"wait_ms\":0}}"),
            7 => Text($"{{\"{(char)('a' + random.Next(26))}steal\":\"{Key}\"}}"),
            8 => Text($"{{\"key\":\"{Key}\",\"node\":\"bystander-a\",\"token\":{random.NextInt64()},\"success\":true}}"),
            _ => Text($"{{\"key\":\"{Key}\",\"node\":\"fuzz\",\"wait_ms\":{random.Next(-5, 5)}}}"),
        };
    }

    private static byte[] RandomBytes(Random random, int length)
    {
        var bytes = new byte[length];
        random.NextBytes(bytes);
        return bytes;
    }

    private static string Describe(byte[] payload) =>
        $"{payload.Length} bytes: {Encoding.UTF8.GetString(payload, 0, Math.Min(payload.Length, 60))}";
}
