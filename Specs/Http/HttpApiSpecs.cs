using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LayerLock.Coordinator.Hosting;
using LayerLock.Messages.Http;
using LayerLock.Specs.Locks.Contract;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace LayerLock.Specs.Http;

public sealed class HttpApiSpecs : IAsyncLifetime
{
    private const string Key = "sha256:4444444444444444444444444444444444444444444444444444444444444444";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private RunningCoordinator _coordinator = null!;
    private HttpClient _http = null!;

    public async Task InitializeAsync()
    {
        _coordinator = await RunningCoordinator.StartAsync();
        _http = new HttpClient { BaseAddress = _coordinator.BaseAddress };
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _coordinator.DisposeAsync();
    }

    public static TheoryData<string, string, string> BadBodies() => new()
    {
        { "/lock", "{\"key\": \"k\", \"node\": ", "malformed JSON" },
        { "/lock", "", "body is required" },
        { "/lock", "null", "must be a JSON object" },
        { "/lock", "{\"node\": \"node-a\"}", "key is required" },
        { "/lock", "{\"key\": \"k\"}", "node is required" },
        { "/lock", $"{{\"key\": \"{new string('k', 513)}\", \"node\": \"node-a\"}}", "key must be at most 512 bytes" },
        { "/lock", $"{{\"key\": \"k\", \"node\": \"{new string('n', 129)}\"}}", "node must be at most 128 bytes" },
        { "/lock", "{\"key\": \"k\", \"node\": \"node-a\", \"wait_ms\": -5}", "wait_ms must be from 0 to 600000, got -5" },
        { "/lock", "{\"key\": \"k\", \"node\": \"node-a\", \"wait_ms\": 99999999999}", "wait_ms must be from 0 to 600000" },
        { "/lock", "{\"key\": \"k\", \"node\": \"node-a\", \"ttl_ms\": 0}", "ttl_ms must be above 0" },
        { "/lock", "{\"key\": \"k\", \"node\": \"node-a\", \"wait_ms\": \"soon\"}", "field wait_ms has the wrong type" },
        { "/lock", "{\"key\": \"k\\u0001\", \"node\": \"node-a\"}", "key must not contain control characters" },
        { "/unlock", "{\"key\": \"k\", \"node\": \"node-a\"}", "token is required" },
        { "/unlock", $"{{\"key\": \"k\", \"node\": \"node-a\", \"token\": 1, \"error\": \"{new string('e', 5000)}\"}}", "error must be at most 4096 bytes" },
        { "/keepalive", "{\"key\": \"k\", \"node\": \"node-a\", \"token\": -1}", "token is required and must be above 0" },
    };

    [Theory]
    [MemberData(nameof(BadBodies))]
    public async Task Bad_input_should_get_a_400_that_says_what_is_wrong_and_change_nothing(string path, string body, string expected)
    {
        var holder = await PostAsync("/lock", new { key = Key, node = "node-a", wait_ms = 0 });

        using var response = await _http.PostAsync(path, new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(HttpJsonContext.Default.ErrorBody);
        Assert.Contains(expected, error!.Error);
        var locks = await LocksAsync();
        var only = Assert.Single(locks.Locks);
        Assert.Equal((Key, "node-a", holder.GetProperty("token").GetInt64()), (only.Key, only.Holder, only.Token!.Value));
    }

    [Fact]
    public async Task A_body_over_64_KiB_should_get_a_400()
    {
        var body = $"{{\"key\": \"k\", \"node\": \"node-a\", \"pad\": \"{new string('x', 70_000)}\"}}";

        using var response = await _http.PostAsync("/lock", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains("at most 65536 bytes", (await response.Content.ReadFromJsonAsync(HttpJsonContext.Default.ErrorBody))!.Error);
        Assert.Empty((await LocksAsync()).Locks);
    }

    [Fact]
    public async Task Stopping_the_Coordinator_should_answer_a_waiter_503_at_once_end_the_live_pages_stream_and_log_no_error_per_held_key()
    {
        using var taken = await _http.PostAsJsonAsync("/lock", new { key = Key, node = "node-a" });
        Assert.True((await taken.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("acquired").GetBoolean());
        var waiting = _http.PostAsJsonAsync("/lock", new { key = Key, node = "node-b", wait_ms = 600_000 });
        await _coordinator.Table.WaitUntilAsync(t => t.Get(Key)?.Waiters.Count == 1, Patience);
        using var page = await _http.GetAsync("/events", HttpCompletionOption.ResponseHeadersRead);
        var stream = new StreamReader(await page.Content.ReadAsStreamAsync());

        // The host's shutdown timeout is 30 s: the waiter's answer within it shows it was not
        // left to wait out its 10 minutes or that timeout.
        using var stopping = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await _coordinator.App.StopAsync(stopping.Token);
        Assert.False(stopping.IsCancellationRequested, "the Coordinator took the host's whole shutdown timeout");

        using var answer = await waiting.WaitAsync(Patience);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        Assert.Equal("the Coordinator is stopping", (await answer.Content.ReadFromJsonAsync<ErrorBody>())!.Error);
        Assert.Null(await ReadToEndOfStreamAsync(stream));

        // Ending the held lock is no failure: no error per key. Either the key's actor stopped with
        // the lock held (one summary line), or the shared HTTP owner stopped first and the lock
        // took its fail path (logged as the actor system ends, after the host's StopAsync).
        await _coordinator.App.Services.GetRequiredService<CoordinatorRuntime>().System.WhenTerminated.WaitAsync(Patience);
        var log = _coordinator.LogLines;
        Assert.DoesNotContain(log, l => l.Contains("lock.actor-failed", StringComparison.Ordinal));
        Assert.True(
            log.Any(l => l.StartsWith("lock.service-stopped: the Coordinator stopped with 1 locks in use", StringComparison.Ordinal))
            || log.Any(l => l.StartsWith("lock.failover", StringComparison.Ordinal)),
            string.Join('\n', log.TakeLast(10)));
    }

    /// <summary>Null once the stream has ended (the connection closed or reset counts), or the last line read at the patience.</summary>
    private static async Task<string?> ReadToEndOfStreamAsync(StreamReader stream)
    {
        using var patience = new CancellationTokenSource(Patience);
        string? line = null;
        try
        {
            while ((line = await stream.ReadLineAsync(patience.Token)) is not null)
            {
            }
        }
        catch (IOException)
        {
            return null;
        }
        catch (OperationCanceledException)
        {
            return line ?? string.Empty;
        }

        return null;
    }

    [Fact]
    public async Task Closing_the_connection_after_a_plain_lock_should_keep_the_lock_as_curl_users_expect()
    {
        long token;
        using (var oneShot = new HttpClient { BaseAddress = _coordinator.BaseAddress })
        {
            token = (await PostAsync("/lock", new { key = Key, node = "node-a" }, oneShot)).GetProperty("token").GetInt64();
        }

        var waiter = PostAsync("/lock", new { key = Key, node = "node-b", wait_ms = 30000 });
        await _coordinator.Table.WaitUntilAsync(t => t.Get(Key)?.Waiters.Count == 1, Patience);

        Assert.False(waiter.IsCompleted);
        var unlocked = await PostAsync("/unlock", new { key = Key, node = "node-a", token, success = true });
        Assert.Equal("node-b", unlocked.GetProperty("next").GetString());
        var granted = await waiter.WaitAsync(Patience);
        Assert.True(granted.GetProperty("acquired").GetBoolean());
        Assert.True(granted.GetProperty("token").GetInt64() > token);
    }

    [Fact]
    public async Task A_lease_without_keepalive_should_expire_and_grant_the_next_waiter()
    {
        var held = await PostAsync("/lock", new { key = Key, node = "node-a", ttl_ms = 300 });
        var token = held.GetProperty("token").GetInt64();
        Assert.Equal(300, held.GetProperty("ttl_ms").GetInt64());

        var granted = await PostAsync("/lock", new { key = Key, node = "node-b", wait_ms = 30000 }).WaitAsync(Patience);

        Assert.True(granted.GetProperty("acquired").GetBoolean());
        using var late = await _http.PostAsJsonAsync("/keepalive", new { key = Key, node = "node-a", token });
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
        Assert.Contains(_coordinator.LogLines, l => l.Contains("lock.failover", StringComparison.Ordinal) && l.Contains("lease expired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Keepalive_should_renew_the_lease()
    {
        // Renewed about every 400 ms for about 3 s: past the 2 s lease, with wide margins.
        var token = (await PostAsync("/lock", new { key = Key, node = "node-a", ttl_ms = 2000 })).GetProperty("token").GetInt64();

        for (var i = 0; i < 7; i++)
        {
            var kept = await PostAsync("/keepalive", new { key = Key, node = "node-a", token });
            Assert.Equal(2000, kept.GetProperty("ttl_ms").GetInt64());
            var busy = await PostAsync("/lock", new { key = Key, node = "node-b", wait_ms = 400 });
            Assert.Equal("timeout", busy.GetProperty("reason").GetString());
        }

        Assert.Equal("node-a", _coordinator.Table.Get(Key)!.Holder);
    }

    [Fact]
    public async Task Unlock_by_a_non_holder_should_get_409_naming_the_holder()
    {
        var token = (await PostAsync("/lock", new { key = Key, node = "node-a" })).GetProperty("token").GetInt64();

        using var response = await _http.PostAsJsonAsync("/unlock", new { key = Key, node = "node-b", token });

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync(HttpJsonContext.Default.ErrorBody);
        Assert.Equal(("node-b is not the holder", "node-a"), (error!.Error, error.Holder));
    }

    [Fact]
    public async Task Locks_metrics_and_healthz_should_describe_the_service()
    {
        var token = (await PostAsync("/lock", new { key = Key, node = "node-a" })).GetProperty("token").GetInt64();
        var waiter = PostAsync("/lock", new { key = Key, node = "node-b", wait_ms = 30000 });
        await _coordinator.Table.WaitUntilAsync(t => t.Get(Key)?.Waiters.Count == 1, Patience);

        var entry = Assert.Single((await LocksAsync()).Locks);
        var metrics = await _http.GetStringAsync("/metrics");

        Assert.Equal((Key, "node-a", token), (entry.Key, entry.Holder, entry.Token!.Value));
        Assert.Equal(["node-b"], entry.Waiters);
        Assert.True(entry.HeldMs >= 0);
        foreach (var series in new[] { "layerlock_grants_total 1", "layerlock_holders 1", "layerlock_queue_depth 1", "layerlock_releases_total{outcome=\"failover\"} 0", "layerlock_wait_seconds_count 1", "layerlock_hold_seconds_bucket{le=\"+Inf\"} 0" })
        {
            Assert.Contains(series + "\n", metrics);
        }

        Assert.Equal("ok", await _http.GetStringAsync("/healthz"));
        await PostAsync("/unlock", new { key = Key, node = "node-a", token });
        await waiter.WaitAsync(Patience);
    }

    private async Task<JsonElement> PostAsync(string path, object body, HttpClient? client = null)
    {
        using var response = await (client ?? _http).PostAsJsonAsync(path, body);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }

    private async Task<LocksBody> LocksAsync() =>
        (await _http.GetFromJsonAsync("/locks", HttpJsonContext.Default.LocksBody))!;
}
