using System.Collections.Concurrent;
using System.Diagnostics;
using LayerLock.Specs.Locks.Contract;
using Serilog.Events;
using Xunit;
using Xunit.Abstractions;

namespace LayerLock.Specs.Locks;

/// <summary>
/// Many clients on real Akka.Remote sessions (one ActorSystem each) lock, unlock, cancel and drop
/// at random for a bounded time — cancels right after sending, while queued and racing the grant;
/// drops while holding and while waiting. Then the history is checked: from the Coordinator's
/// event log, no key ever had two holders and tokens only grew; from the clients' side, no two
/// clients used one key at once, and every request of a live client was granted or told why
/// not; and, before the clients go, every lock the Coordinator counts as held is held by a live
/// node that believes it holds it (and by no other).
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
    private readonly ConcurrentDictionary<string, int> _counts = new(StringComparer.Ordinal);
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
    public async Task Random_lock_unlock_cancel_and_disconnect_should_never_give_one_key_two_holders_nor_a_holder_that_does_not_know()
    {
        using var bound = new CancellationTokenSource(Bound);
        var finals = await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => Task.Run(() => RunClientAsync($"node-{i}", new Random(_seed + i), bound.Token))));
        try
        {
            await CheckBeliefsAsync(finals);
        }
        finally
        {
            foreach (var final in finals)
            {
                if (final.Held is { } held)
                {
                    _uses.Enqueue(held with { End = Stopwatch.GetTimestamp() });
                }

                await final.Client.DisposeAsync();
            }
        }

        // The clients are gone: their sessions end and what they held takes the fail path.
        await _coordinator.Table.WaitUntilAsync(t => t.Count == 0, Patience);
        await CheckEventLogAsync();
        CheckClientHistory();
        Assert.Empty(_unanswered);
        Assert.True(_uses.Count >= Clients, $"only {_uses.Count} grants happened; the workload did not run");
        output.WriteLine($"{_uses.Count} grants, {_coordinator.LogEvents.Count} events; {string.Join(", ", _counts.OrderBy(c => c.Key).Select(c => $"{c.Key} {c.Value}"))}");
    }

    private async Task<Final> RunClientAsync(string node, Random random, CancellationToken bound)
    {
        RemoteLockClient? client = null;
        try
        {
            for (var operation = 0; operation < OperationsPerClient && !bound.IsCancellationRequested; operation++)
            {
                client ??= await RemoteLockClient.ConnectAsync(_coordinator.BaseAddress, node);
                if (await OperateAsync(client, node, random, bound) is false)
                {
                    await client.DropAsync();
                    client = null;
                }
            }

            client ??= await RemoteLockClient.ConnectAsync(_coordinator.BaseAddress, node);
            // Half the clients end holding a lock, so the final check has holders to compare.
            Use? held = null;
            if (random.Next(2) == 0)
            {
                var key = Keys[random.Next(Keys.Length)];
                var outcome = await (await client.LockAsync(key, TimeSpan.Zero)).Outcome.WaitAsync(Patience);
                if (outcome.Acquired)
                {
                    held = new Use(key, node, outcome.Token, Stopwatch.GetTimestamp(), 0);
                }
            }

            var final = new Final(node, client, held);
            client = null;
            return final;
        }
        finally
        {
            if (client is not null)
            {
                await client.DisposeAsync();
            }
        }
    }

    /// <summary>One random operation; false when the client dropped (its ActorSystem is gone).</summary>
    private async Task<bool> OperateAsync(RemoteLockClient client, string node, Random random, CancellationToken bound)
    {
        var key = Keys[random.Next(Keys.Length)];
        var wait = random.Next(4) switch
        {
            0 => TimeSpan.Zero,
            1 => TimeSpan.FromMilliseconds(30),
            _ => TimeSpan.FromSeconds(5),
        };
        var interleaving = random.Next(10) switch
        {
            0 => "cancel-at-once",
            1 => "cancel-while-queued",
            2 => "cancel-racing-grant",
            3 when random.Next(3) == 0 => "drop-while-waiting",
            _ => "plain",
        };
        _counts.AddOrUpdate(interleaving, 1, (_, n) => n + 1);
        var attempt = await client.LockAsync(key, wait);
        switch (interleaving)
        {
            case "cancel-at-once":
                await client.CancelAsync(attempt);
                break;
            case "cancel-while-queued":
                // Queued, or answered already: whichever comes first (bounded).
                var inQueue = _coordinator.Table.WaitUntilAsync(t => t.Get(key)?.Waiters.Contains(node) == true, TimeSpan.FromSeconds(2));
                await Task.WhenAny(inQueue, attempt.Outcome).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { }, TaskScheduler.Default);

                await client.CancelAsync(attempt);
                break;
            case "cancel-racing-grant":
                Thread.SpinWait(random.Next(0, 200_000));
                await client.CancelAsync(attempt);
                break;
            case "drop-while-waiting":
                Thread.SpinWait(random.Next(0, 200_000));
                return false;
        }

        AttemptOutcome outcome;
        try
        {
            outcome = await attempt.Outcome.WaitAsync(Patience, bound);
        }
        catch (TimeoutException)
        {
            _unanswered.Enqueue($"{node} lock {key} wait {wait.TotalMilliseconds} ms ({interleaving}): no answer within {Patience}");
            return true;
        }

        if (!outcome.Acquired)
        {
            Assert.Contains(outcome.Reason, interleaving.StartsWith("cancel", StringComparison.Ordinal) ? new[] { "busy", "timeout", "cancelled" } : new[] { "busy", "timeout" });
            return true;
        }

        // A cancel that lost the race to the grant still leaves the caller the lock: it is used and released.
        var start = Stopwatch.GetTimestamp();
        if (random.Next(3) == 0)
        {
            await Task.Yield();
        }

        if (random.Next(8) == 0)
        {
            // The holder dies: its use ends now, and the Coordinator must fail the lock over.
            _uses.Enqueue(new Use(key, node, outcome.Token, start, Stopwatch.GetTimestamp()));
            return false;
        }

        _uses.Enqueue(new Use(key, node, outcome.Token, start, Stopwatch.GetTimestamp()));
        var released = await client.UnlockAsync(key, outcome.Token, success: random.Next(4) != 0, error: "random failure");
        Assert.True(released.Released, $"{node} could not release {key} token {outcome.Token}: {released.Error}");
        return true;
    }

    /// <summary>
    /// With every client idle and alive: the Coordinator's holders are exactly what the live
    /// nodes believe they hold, which is exactly what their callers were given and kept. Handed-back
    /// grants and reconciliation settle within a few heartbeats, so this is waited for (bounded).
    /// </summary>
    private async Task CheckBeliefsAsync(IReadOnlyList<Final> finals)
    {
        string? mismatch = null;
        var deadline = Stopwatch.StartNew();
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (deadline.Elapsed < Patience)
        {
            mismatch = Mismatch(finals);
            if (mismatch is null)
            {
                return;
            }

            await tick.WaitForNextTickAsync();
        }

        Assert.Fail(mismatch);
    }

    private string? Mismatch(IReadOnlyList<Final> finals)
    {
        var table = _coordinator.Table.All();
        foreach (var entry in table)
        {
            if (entry.Waiters.Count > 0)
            {
                return $"{entry.Key} still has waiters {string.Join(", ", entry.Waiters)} with every client idle";
            }

            if (entry.Holder is null)
            {
                continue;
            }

            var owner = finals.SingleOrDefault(f => f.Node == entry.Holder);
            if (owner is null || !owner.Client.Held.Any(l => l.Key == entry.Key && l.Token == entry.Token))
            {
                return $"{entry.Key} is held by {entry.Holder} (token {entry.Token}) on the coordinator, but that node does not believe it holds it";
            }
        }

        foreach (var final in finals)
        {
            var believed = final.Client.Held.Select(l => (l.Key, l.Token)).ToHashSet();
            var given = final.Held is { } use ? new HashSet<(string, long)> { (use.Key, use.Token) } : [];
            if (!believed.SetEquals(given))
            {
                return $"{final.Node} believes it holds [{string.Join(", ", believed)}] but its caller kept [{string.Join(", ", given)}]";
            }

            foreach (var (key, token) in believed)
            {
                if (!table.Any(e => e.Key == key && e.Holder == final.Node && e.Token == token))
                {
                    return $"{final.Node} believes it holds {key} (token {token}) but the coordinator does not count it as the holder";
                }
            }
        }

        return null;
    }

    private async Task CheckEventLogAsync()
    {
        // The lock actors log their last fail-overs as they leave the table; give the log a moment.
        var deadline = Stopwatch.StartNew();
        using var tick = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        var holders = ReplayHolders();
        while (holders.Count > 0 && deadline.Elapsed < Patience)
        {
            await tick.WaitForNextTickAsync();
            holders = ReplayHolders();
        }

        Assert.Empty(holders);
    }

    private Dictionary<string, (string Node, long Token)> ReplayHolders()
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

        return holders;
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

    /// <summary>A client at the end of its run, still connected, and the lock its caller kept (if any).</summary>
    private sealed record Final(string Node, RemoteLockClient Client, Use? Held);
}
