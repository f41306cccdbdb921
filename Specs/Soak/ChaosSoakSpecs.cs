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
/// A bounded chaos soak against a Coordinator process: session clients, HTTP clients and lock
/// processes lock and unlock random keys while sessions are dropped, lock processes are SIGKILLed
/// and the Coordinator itself is SIGKILLed and restarted. The checker replays the Coordinator's
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

        var workers = new List<Task>();
        for (var i = 0; i < 6; i++)
        {
            workers.Add(SessionWorkerAsync(cluster, $"ws-{i}", new Random(seed + i), stop.Token));
        }

        for (var i = 0; i < 2; i++)
        {
            workers.Add(HttpWorkerAsync(cluster, $"http-{i}", new Random(seed + 100 + i), stop.Token));
        }

        // The chaos monkey: kill lock processes and the Coordinator itself at random.
        var lockProcesses = new List<ChildProcess>();
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
                }
                else
                {
                    var holder = cluster.StartLock(Keys[random.Next(Keys.Length)], $"proc-{random.Next(3)}", "--layerlock:agent:lease-grace=2s");
                    lockProcesses.Add(holder);
                    _counts.Operation();
                    if (random.Next(2) == 0)
                    {
                        await holder.WaitForLineAsync("granted", TimeSpan.FromSeconds(20)).ContinueWith(_ => { }, TaskScheduler.Default);
                    }

                    await holder.KillAsync();
                    _counts.Kill();
                }
            }

            await Task.WhenAll(workers);
        }
        finally
        {
            foreach (var process in lockProcesses)
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
        var report = $"operations {_counts.Operations}, kills {_counts.Kills}, session drops {_counts.Drops}, fail-overs {replay.Failovers}, grants {replay.Grants}, restarts {replay.Runs - 1}, overlaps {replay.Overlaps.Count}, unanswered {_counts.Unanswered}";
        output.WriteLine(report);
        Console.Out.WriteLine($"soak: {report}");
        Assert.Empty(replay.Overlaps);
        Assert.True(replay.TokensOnlyGrow, "a token after a restart was not above every token before it");
        Assert.Equal(0, _counts.Unanswered);
        Assert.True(replay.Grants > 0, "the soak made no grant");
    }

    private async Task SessionWorkerAsync(ProcessCluster cluster, string node, Random random, CancellationToken stop)
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

        if (client is not null)
        {
            await client.DisposeAsync();
        }
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

    private sealed class SoakCounts
    {
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
