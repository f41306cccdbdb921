using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using LayerLock.Messages.Http;

namespace LayerLock.Specs.Locks.Contract;

/// <summary>
/// A node using the HTTP API over its own connections, asking for <c>release_on_disconnect</c> so
/// that dropping the client's connections is the "connection dies" of the contract.
/// </summary>
internal sealed class HttpLockClient : ILockClient
{
    private static long _attemptIds;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _waits = new();

    public HttpLockClient(Uri coordinator, string node)
    {
        Node = node;
        _http = new HttpClient(new SocketsHttpHandler { PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10) })
        {
            BaseAddress = coordinator,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public string Node { get; }

    public Task<LockAttempt> LockAsync(string key, TimeSpan wait)
    {
        var attemptId = Interlocked.Increment(ref _attemptIds);
        var cancel = new CancellationTokenSource();
        _waits[attemptId] = cancel;
        var body = new LockBody(key, Node, (long)wait.TotalMilliseconds, null, ReleaseOnDisconnect: true);
        return Task.FromResult(new LockAttempt(key, attemptId, PostLockAsync(body, cancel.Token)));
    }

    public async Task<UnlockOutcome> UnlockAsync(string key, long token, bool success = true, string? error = null)
    {
        using var response = await _http.PostAsJsonAsync("/unlock", new UnlockBody(key, Node, token, success, error), HttpJsonContext.Default.UnlockBody);
        if (response.StatusCode == HttpStatusCode.Conflict)
        {
            var refused = await response.Content.ReadFromJsonAsync(HttpJsonContext.Default.ErrorBody);
            return new UnlockOutcome(false, null, refused!.Error);
        }

        response.EnsureSuccessStatusCode();
        var released = await response.Content.ReadFromJsonAsync(HttpJsonContext.Default.UnlockedBody);
        return new UnlockOutcome(released!.Released, released.Next, null);
    }

    /// <summary>The client gives up: its request is aborted, which closes its connection.</summary>
    public Task CancelAsync(LockAttempt attempt)
    {
        if (_waits.TryRemove(attempt.RequestId, out var cancel))
        {
            cancel.Cancel();
        }

        return Task.CompletedTask;
    }

    public Task DropAsync()
    {
        _http.Dispose();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task<AttemptOutcome> PostLockAsync(LockBody body, CancellationToken cancel)
    {
        try
        {
            using var response = await _http.PostAsJsonAsync("/lock", body, HttpJsonContext.Default.LockBody, cancel);
            response.EnsureSuccessStatusCode();
            var json = await response.Content.ReadAsStringAsync(cancel);
            if (json.Contains("\"acquired\":true", StringComparison.Ordinal))
            {
                var granted = System.Text.Json.JsonSerializer.Deserialize(json, HttpJsonContext.Default.LockAcquiredBody)!;
                return new AttemptOutcome(true, granted.Token, null, null);
            }

            var notAcquired = System.Text.Json.JsonSerializer.Deserialize(json, HttpJsonContext.Default.LockNotAcquiredBody)!;
            return new AttemptOutcome(false, 0, notAcquired.Reason, notAcquired.Holder);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return new AttemptOutcome(false, 0, "cancelled", null);
        }
    }
}
