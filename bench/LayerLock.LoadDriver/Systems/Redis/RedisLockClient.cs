using System.Diagnostics;
using System.Globalization;
using StackExchange.Redis;

namespace LayerLock.LoadDriver.Systems.Redis;

/// <summary>One Redis connection (a StackExchange.Redis multiplexer) and the locks it holds, each with its own random token.</summary>
internal sealed class RedisLockClient(string name, ConnectionMultiplexer redis, RedisLockClient.Scripts scripts, TimeSpan ttl, TimeSpan retry, TimeSpan wait)
    : ILockClient
{
    private readonly IDatabase _database = redis.GetDatabase();
    private readonly RedisValue _ttlMs = ((long)ttl.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
    private readonly CancellationTokenSource _stopped = new();

    public string Name => name;

    // StackExchange.Redis commands take no cancellation token: it is honoured between attempts,
    // never for a SET in flight, whose answer is always read (a lock it took is not left behind).
    public async Task<LockHandle> AcquireAsync(string key, CancellationToken cancellation)
    {
        RedisValue token = Guid.NewGuid().ToString("N");
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            if (await CallAsync($"SET {key} NX", () => _database.StringSetAsync(key, token, ttl, When.NotExists)).ConfigureAwait(false))
            {
                break;
            }

            if (Stopwatch.GetElapsedTime(started) > wait)
            {
                throw new LockSystemException($"redis: {name} did not get {key} within {wait.TotalMilliseconds:0} ms");
            }

            await Pacer.Shared.DelayAsync(retry, cancellation).ConfigureAwait(false);
        }

        var renewal = RenewalLoop.Start(ttl / 3, _ => RenewAsync(key, token), _stopped.Token);
        return new Held(key, token, renewal);
    }

    public async Task ReleaseAsync(LockHandle handle, CancellationToken cancellation)
    {
        var held = (Held)handle;
        held.Renewal.Stop();
        var reply = await CallAsync($"release of {held.Key}", () => _database.ScriptEvaluateAsync(scripts.ReleaseSha, [held.Key], [held.Token])).ConfigureAwait(false);
        if ((long?)reply != 1)
        {
            throw new LockSystemException($"redis: release of {held.Key} by {name} answered {reply}: the lock had expired or was taken");
        }
    }

    // The connection drops (no QUIT) and renewals stop; the key expires after its TTL.
    public async ValueTask KillAsync()
    {
        await _stopped.CancelAsync().ConfigureAwait(false);
        await redis.CloseAsync(allowCommandsToComplete: false).ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopped.CancelAsync().ConfigureAwait(false);
        await redis.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<bool> RenewAsync(string key, RedisValue token)
    {
        var reply = await CallAsync($"renewal of {key}", () => _database.ScriptEvaluateAsync(scripts.RenewSha, [key], [token, _ttlMs])).ConfigureAwait(false);
        return (long?)reply == 1;
    }

    private async Task<T> CallAsync<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception error) when (error is RedisException or ObjectDisposedException)
        {
            throw new LockSystemException($"redis: {what} by {name} failed: {error.Message}", error);
        }
    }

    internal sealed record Scripts(byte[] ReleaseSha, byte[] RenewSha);

    private sealed class Held(string key, RedisValue token, RenewalLoop renewal) : LockHandle(key)
    {
        public RedisValue Token { get; } = token;

        public RenewalLoop Renewal { get; } = renewal;
    }
}
