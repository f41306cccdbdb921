using System.Collections.Concurrent;
using System.Diagnostics;
using LayerLock.Specs.Locks.Contract;
using Serilog.Events;
using Xunit;
using Xunit.Abstractions;

namespace LayerLock.Specs.Locks;

/// <summary>
/// Many clients on real sessions lock, unlock and drop at random for a bounded time; then the
/// history is checked: from the Coordinator's event log, no key ever had two holders and tokens
/// only grew; from the clients' side, no two clients used one key at once, and every request of
/// a live client was granted or told why not.
/// </summary>
public sealed class RandomizedLockSpecs(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Clients = 8;
    private const int OperationsPerClient = 40;
    private static readonly string[] Keys = [.. Enumerable.Range(0, 3).Select(i => $"sha256:{i:D64}")];
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);
    private readonly ConcurrentQueue<Use> _uses = new();
    private readonly ConcurrentQueue<string> _unanswered = new();
    private RunningCoordinator _coordinator = null!;
    private int _seed;

    public async Task InitializeAsync()
    {
        _seed = Environment.TickCount;
        output.WriteLine($"seed {_seed}");
        _coordinator = await RunningCoordinator.StartAsync();
    }

    public async Task DisposeAsync() => await _coordinator.DisposeAsync();

    [Fact]
    public async Task Random_lock_unlock_and_disconnect_should_never_give_one_key_two_holders()
    {
        using var bound = new CancellationTokenSource(Bound);
        await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(() => RunClientAsync($"node-{i}", new Random(_seed + i), bound.Token))));

        CheckEventLog();
        CheckClientHistory();
        Assert.Empty(_unanswered);
        Assert.True(_uses.Count >= Clients, $"only {_uses.Count} grants happened; the workload did not run");
        output.WriteLine($"{_uses.Count} grants, {_coordinator.LogEvents.Count} events");
    }

    private async Task RunClientAsync(string node, Random random, CancellationToken bound)
    {
        RemoteLockClient? client = null;
        try
        {
            for (var operation = 0; operation < OperationsPerClient && !bound.IsCancellationRequested; operation++)
            {
                client ??= await RemoteLockClient.ConnectAsync(_coordinator.BaseAddress, node);
                var key = Keys[random.Next(Keys.Length)];
                var wait = random.Next(4) switch
                {
                    0 => TimeSpan.Zero,
                    1 => TimeSpan.FromMilliseconds(30),
                    _ => TimeSpan.FromSeconds(5),
                };
                var attempt = await client.LockAsync(key, wait);
                AttemptOutcome outcome;
                try
                {
                    outcome = await attempt.Outcome.WaitAsync(Patience, bound);
                }
                catch (TimeoutException)
                {
                    _unanswered.Enqueue($"{node} lock {key} wait {wait.TotalMilliseconds} ms: no answer within {Patience}");
                    continue;
                }

                if (!outcome.Acquired)
                {
                    Assert.Contains(outcome.Reason, new[] { "busy", "timeout" });
                    continue;
                }

                var start = Stopwatch.GetTimestamp();
                if (random.Next(3) == 0)
                {
                    await Task.Yield();
                }

                if (random.Next(8) == 0)
                {
                    // The holder dies: its use ends now, and the Coordinator must fail the lock over.
                    _uses.Enqueue(new Use(key, node, outcome.Token, start, Stopwatch.GetTimestamp()));
                    await client.DisposeAsync();
                    client = null;
                    continue;
                }

                _uses.Enqueue(new Use(key, node, outcome.Token, start, Stopwatch.GetTimestamp()));
                var released = await client.UnlockAsync(key, outcome.Token, success: random.Next(4) != 0, error: "random failure");
                Assert.True(released.Released, $"{node} could not release {key} token {outcome.Token}: {released.Error}");
            }
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }
    }

    private void CheckEventLog()
    {
        var holders = new Dictionary<string, (string Node, long Token)>();
        var lastToken = new Dictionary<string, long>();
        var issued = new HashSet<long>();
        foreach (var e in _coordinator.LogEvents)
        {
            var name = e.MessageTemplate.Text.Split(' ')[0];
            if (name is not ("lock.acquired" or "lock.released" or "lock.failover"))
            {
                continue;
            }

            var (key, node, token) = (Scalar<string>(e, "Key"), Scalar<string>(e, "Node"), Scalar<long>(e, "Token"));
            if (name == "lock.acquired")
            {
                Assert.False(holders.ContainsKey(key), $"{key} granted to {node} ({token}) while {holders.GetValueOrDefault(key)} held it");
                Assert.True(token > lastToken.GetValueOrDefault(key), $"{key} token {token} after {lastToken.GetValueOrDefault(key)}");
                Assert.True(issued.Add(token), $"token {token} issued twice");
                holders[key] = (node, token);
                lastToken[key] = token;
            }
            else
            {
                Assert.True(holders.TryGetValue(key, out var holder) && holder == (node, token), $"{name} of {key} by {node} ({token}) but the holder was {holder}");
                holders.Remove(key);
            }
        }

        Assert.Empty(holders);
    }

    private void CheckClientHistory()
    {
        foreach (var uses in _uses.GroupBy(u => u.Key))
        {
            var byToken = uses.OrderBy(u => u.Token).ToList();
            for (var i = 1; i < byToken.Count; i++)
            {
                Assert.True(
                    byToken[i - 1].End <= byToken[i].Start,
                    $"{uses.Key}: {byToken[i - 1].Node} (token {byToken[i - 1].Token}) still used it when {byToken[i].Node} (token {byToken[i].Token}) started");
            }
        }
    }

    private static T Scalar<T>(LogEvent e, string property) =>
        e.Properties.TryGetValue(property, out var value) && value is ScalarValue { Value: T typed }
            ? typed
            : throw new InvalidOperationException($"event {e.MessageTemplate.Text} has no {typeof(T).Name} {property}");

    private sealed record Use(string Key, string Node, long Token, long Start, long End);
}
