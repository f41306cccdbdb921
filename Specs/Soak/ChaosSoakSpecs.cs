using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.MultiProcess;
using LayerLock.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace LayerLock.Specs.Soak;

/// <summary>
/// A bounded chaos soak against a Coordinator process: session clients (Akka.Remote, one
/// ActorSystem each), HTTP clients and agent nodes (real <c>NodeAgent lock</c> processes on
/// Akka.Remote) lock and unlock random keys while sessions are dropped, agent processes are
/// SIGKILLed and restarted and the Coordinator itself is SIGKILLed and restarted. Before the
/// clients go, every lock the Coordinator counts as held by an agent must be held by a live node
/// that believes it holds it. The checker replays the Coordinator's
/// JSON event log (all runs): no key ever has two holders within a run, tokens only grow across
/// restarts, and no waiter or holder is left behind once the clients are gone. Runs for
/// <c>LAYERLOCK_SOAK_SECONDS</c> (default 20; <c>scripts/chaos-soak.sh --minutes N</c> sets it).
/// </summary>
public sealed class ChaosSoakSpecs(ITestOutputHelper output)
{
    private static readonly string[] Keys = [.. Enumerable.Range(0, 4).Select(i => $"sha256:{i + 90:D64}")];
    private readonly SoakCounts _counts = new();

    [Fact]
    public async Task Chaos_should_never_give_a_key_two_holders_nor_leave_a_waiter_behind()
    {
        var seconds = int.TryParse(Environment.GetEnvironmentVariable("LAYERLOCK_SOAK_SECONDS"), out var s) && s > 0 ? s : 20;
        var seed = Environment.TickCount;
        output.WriteLine($"seed {seed}, {seconds} s");
        // Keep every rolled log file: the checker replays the whole history.
        await using var cluster = new ProcessCluster("--layerlock:coordinator:recovery:grace=2s", "--layerlock:log:retained-files=1000");
        var coordinator = await cluster.StartCoordinatorAsync();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var random = new Random(seed);

        var sessionWorkers = new List<Task<SessionFinal?>>();
        for (var i = 0; i < 6; i++)
        {
            sessionWorkers.Add(SessionWorkerAsync(cluster, $"ws-{i}", new Random(seed + i), stop.Token));
        }

        var httpWorkers = new List<Task>();
        for (var i = 0; i < 2; i++)
        {
            httpWorkers.Add(HttpWorkerAsync(cluster, $"http-{i}", new Random(seed + 100 + i), stop.Token));
        }

        // Three agent nodes, each a real `NodeAgent lock` process on Akka.Remote: the chaos monkey
        // SIGKILLs one (holding, queued or done) and restarts the node at once, or SIGKILLs and
        // restarts the Coordinator itself.
        var agents = new ChildProcess?[3];
        var agentKeys = new string[3];
        var allAgents = new List<ChildProcess>();
        SessionFinal?[] finals = [];
        try
        {
            while (!stop.IsCancellationRequested)
            {
                await PauseAsync(stop.Token, random.Next(1500, 3500));
                if (stop.IsCancellationRequested)
                {
                    break;
                }

                if (random.Next(4) == 0)
                {
                    await coordinator.KillAsync();
                    _counts.Kill();
                    coordinator = await cluster.StartCoordinatorAsync();
                    continue;
                }

                var slot = random.Next(agents.Length);
                if (agents[slot] is { HasExited: false } running)
                {
                    await running.KillAsync();
                    _counts.AgentKill();
                }

                agentKeys[slot] = Keys[random.Next(Keys.Length)];
                agents[slot] = cluster.StartLock(agentKeys[slot], $"proc-{slot}", "--layerlock:agent:lease-grace=2s", $"--hold-ms={random.Next(500, 6000)}");
                allAgents.Add(agents[slot]!);
                _counts.Operation();
                _counts.Restart();
            }

            finals = await Task.WhenAll(sessionWorkers);
            await Task.WhenAll(httpWorkers);

            // Still connected, the session workers and the agent processes are compared with the
            // Coordinator: every lock it counts as held must be held by a node that believes so.
            await CheckBeliefsAsync(cluster, finals, agents, agentKeys);
        }
        finally
        {
            foreach (var final in finals)
            {
                if (final is not null)
                {
                    await final.Client.DisposeAsync();
                }
            }

            foreach (var process in allAgents)
            {
                await process.DisposeAsync();
            }
        }

        // Everyone is gone: after the recovery grace, no holder and no waiter may be left.
        using var http = new HttpClient { BaseAddress = new Uri(cluster.Url) };
        var deadline = Stopwatch.StartNew();
        JsonElement locks;
        while ((locks = await http.GetFromJsonAsync<JsonElement>("/locks")).GetProperty("locks").GetArrayLength() > 0)
        {
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(15), $"left behind: {locks}");
            await PauseAsync(CancellationToken.None, 200);
        }

        var replay = EventLogReplay.Read(Path.ChangeExtension(cluster.ServerLog, ".jsonl"));
        var report = $"operations {_counts.Operations}, coordinator kills {_counts.Kills}, agent SIGKILLs {_counts.AgentKills}, agent starts {_counts.Restarts}, session drops {_counts.Drops}, held at the end {_counts.HeldAtEnd}, fail-overs {replay.Failovers}, grants {replay.Grants}, restarts {replay.Runs - 1}, overlaps {replay.Overlaps.Count}, unanswered {_counts.Unanswered}";
        output.WriteLine(report);
        Console.Out.WriteLine($"soak: {report}");
        Assert.Empty(replay.Overlaps);
        Assert.True(replay.TokensOnlyGrow, "a token after a restart was not above every token before it");
        Assert.Equal(0, _counts.Unanswered);
        Assert.True(replay.Grants > 0, "the soak made no grant");
    }

    private async Task<SessionFinal?> SessionWorkerAsync(ProcessCluster cluster, string node, Random random, CancellationToken stop)
    {
        RemoteLockClient? client = null;
        while (!stop.IsCancellationRequested)
        {
            try
            {
                client ??= await RemoteLockClient.ConnectAsync(new Uri(cluster.Url), node);
                await PauseAsync(stop, random.Next(5, 50));
                var key = Keys[random.Next(Keys.Length)];
                var attempt = await client.LockAsync(key, TimeSpan.FromMilliseconds(random.Next(3) switch { 0 => 0, 1 => 200, _ => 3000 }));
                _counts.Operation();
                AttemptOutcome outcome;
                try
                {
                    // A request survives a lost link: the client sends it again on its next session.
                    outcome = await attempt.Outcome.WaitAsync(TimeSpan.FromSeconds(20));
                }
                catch (TimeoutException)
                {
                    // Neither a grant nor a refusal, across whatever the link went through: stuck.
                    _counts.NoAnswer();
                    throw;
                }

                if (!outcome.Acquired)
                {
                    continue;
                }

                if (random.Next(6) == 0)
                {
                    await client.DropAsync();
                    await client.DisposeAsync();
                    client = null;
                    _counts.Drop();
                    continue;
                }

                await client.UnlockAsync(key, outcome.Token, success: random.Next(3) != 0, error: "soak failure");
            }
            catch (Exception error) when (error is HttpRequestException or TimeoutException or IOException or OperationCanceledException or InvalidOperationException)
            {
                if (client is not null)
                {
                    await client.DisposeAsync();
                    client = null;
                }

                // A session cut mid-request has no answer to wait for; a new session follows.
            }
        }

        if (client is null)
        {
            return null;
        }

        // The worker ends connected and, when it can, holding one lock (the Coordinator may be in
        // its recovery grace and grant nothing new).
        try
        {
            var key = Keys[random.Next(Keys.Length)];
            var outcome = await (await client.LockAsync(key, TimeSpan.Zero)).Outcome.WaitAsync(TimeSpan.FromSeconds(20));
            return new SessionFinal(node, client, outcome.Acquired ? (key, outcome.Token) : null);
        }
        catch (TimeoutException)
        {
            _counts.NoAnswer();
            return new SessionFinal(node, client, null);
        }
    }

    private async Task CheckBeliefsAsync(ProcessCluster cluster, SessionFinal?[] finals, ChildProcess?[] agents, string[] agentKeys)
    {
        using var http = new HttpClient { BaseAddress = new Uri(cluster.Url), Timeout = TimeSpan.FromSeconds(10) };
        var deadline = Stopwatch.StartNew();
        string? mismatch;
        while (true)
        {
            mismatch = null;
            var believed = new Dictionary<string, HashSet<(string Key, long Token)>>(StringComparer.Ordinal);
            foreach (var final in finals.OfType<SessionFinal>())
            {
                believed[final.Node] = [.. final.Client.Held.Select(l => (l.Key, l.Token))];
                var given = final.Kept is { } kept ? [kept] : new HashSet<(string, long)>();
                if (!believed[final.Node].SetEquals(given))
                {
                    mismatch = $"{final.Node} believes it holds [{string.Join(", ", believed[final.Node])}] but its caller kept [{string.Join(", ", given)}]";
                }
            }

            for (var slot = 0; slot < agents.Length; slot++)
            {
                if (agents[slot] is { HasExited: false } agent && AgentBelief(agent) is { } token)
                {
                    believed[$"proc-{slot}"] = [(agentKeys[slot], token)];
                }
            }

            JsonElement locks;
            try
            {
                locks = (await http.GetFromJsonAsync<JsonElement>("/locks")).GetProperty("locks");
            }
            catch (HttpRequestException error)
            {
                mismatch = $"GET /locks failed: {error.Message}";
                locks = default;
            }

            var held = 0;
            if (mismatch is null)
            {
                foreach (var entry in locks.EnumerateArray())
                {
                    if (entry.GetProperty("holder").GetString() is not { } holder || holder.StartsWith("http-", StringComparison.Ordinal))
                    {
                        continue; // HTTP holders are TTL leases: they end by expiry, not by belief
                    }

                    held++;
                    var (key, token) = (entry.GetProperty("key").GetString()!, entry.GetProperty("token").GetInt64());
                    if (!believed.TryGetValue(holder, out var beliefs) || !beliefs.Contains((key, token)))
                    {
                        mismatch = $"{key} is held by {holder} (token {token}) on the coordinator, but no live node believes it holds it";
                    }
                }
            }

            if (mismatch is null)
            {
                _counts.SetHeldAtEnd(held);
                return;
            }

            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(20), mismatch);
            await PauseAsync(CancellationToken.None, 200);
        }
    }

    /// <summary>The token an agent process believes it holds: its last word was <c>granted</c>.</summary>
    private static long? AgentBelief(ChildProcess agent)
    {
        var last = agent.Transcript.Split('\n').LastOrDefault(l => l.StartsWith("granted", StringComparison.Ordinal) || l.StartsWith("lost", StringComparison.Ordinal)
            || l.StartsWith("released", StringComparison.Ordinal) || l.StartsWith("unconfirmed", StringComparison.Ordinal) || l.StartsWith("not-acquired", StringComparison.Ordinal));
        return last is not null && last.StartsWith("granted", StringComparison.Ordinal) ? ProcessCluster.TokenOf(last) : null;
    }

    private async Task HttpWorkerAsync(ProcessCluster cluster, string node, Random random, CancellationToken stop)
    {
        using var http = new HttpClient { BaseAddress = new Uri(cluster.Url), Timeout = TimeSpan.FromSeconds(20) };
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await PauseAsync(stop, random.Next(5, 50));
                var key = Keys[random.Next(Keys.Length)];
                _counts.Operation();
                using var response = await http.PostAsJsonAsync("/lock", new { key, node, wait_ms = random.Next(0, 1500), ttl_ms = 2000 }, stop);
                var body = await response.Content.ReadFromJsonAsync<JsonElement>(stop);
                if (body.TryGetProperty("acquired", out var acquired) && acquired.GetBoolean())
                {
                    using var _ = await http.PostAsJsonAsync("/unlock", new { key, node, token = body.GetProperty("token").GetInt64(), success = true }, stop);
                }
            }
            catch (Exception error) when (error is HttpRequestException or TaskCanceledException or JsonException or IOException)
            {
                // The Coordinator was down for a moment.
            }
        }
    }

    // The monkey's random pauses (and the final poll) wait on the stop signal, never on a condition.
    private static Task PauseAsync(CancellationToken stop, int milliseconds) =>
        Task.Run(() => stop.WaitHandle.WaitOne(milliseconds));

    /// <summary>A session worker at the end of the soak, still connected, and the lock it kept (if any).</summary>
    private sealed record SessionFinal(string Node, RemoteLockClient Client, (string Key, long Token)? Kept);

    private sealed class SoakCounts
    {
        private int _restarts;
        private int _agentKills;

        public int AgentKills => _agentKills;

        public void AgentKill() => Interlocked.Increment(ref _agentKills);

        private int _heldAtEnd;

        public int Restarts => _restarts;

        public int HeldAtEnd => _heldAtEnd;

        public void Restart() => Interlocked.Increment(ref _restarts);

        public void SetHeldAtEnd(int held) => _heldAtEnd = held;

        private int _operations;
        private int _kills;
        private int _unanswered;
        private int _drops;

        public int Drops => _drops;

        public void Drop() => Interlocked.Increment(ref _drops);

        public int Operations => _operations;

        public int Kills => _kills;

        public int Unanswered => _unanswered;

        public void Operation() => Interlocked.Increment(ref _operations);

        public void Kill() => Interlocked.Increment(ref _kills);

        public void NoAnswer() => Interlocked.Increment(ref _unanswered);
    }
}
