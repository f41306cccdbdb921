using System.Diagnostics;
using System.Globalization;

namespace LayerLock.LoadDriver.Systems.Redis;

/// <summary>One Redis connection and the locks it holds (each with its own random token).</summary>
internal sealed class RedisClient(string name, RedisConnection connection, RedisClient.Scripts scripts, TimeSpan ttl, TimeSpan retry, TimeSpan wait) : ILockClient
{
    private readonly string _ttlMs = ((long)ttl.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
    private readonly CancellationTokenSource _stopped = new();

    public string Name => name;

    public async Task<LockHandle> AcquireAsync(string key, CancellationToken cancellation)
    {
        var token = Guid.NewGuid().ToString("N");
        var set = new[] { "SET", key, token, "NX", "PX", _ttlMs };
        var started = Stopwatch.GetTimestamp();
        while (true)
        {
            var reply = await connection.CallAsync(set, cancellation).ConfigureAwait(false);
            if (reply is { Kind: RespKind.SimpleString, Text: "OK" })
            {
                break;
            }

            if (reply.Kind != RespKind.Null)
            {
                throw new LockSystemException($"redis: SET {key} NX answered {reply}");
            }

            if (Stopwatch.GetElapsedTime(started) > wait)
            {
                throw new LockSystemException($"redis: {name} did not get {key} within {wait.TotalMilliseconds:0} ms");
            }

            await Pacer.Shared.DelayAsync(retry, cancellation).ConfigureAwait(false);
        }

        var renewal = RenewalLoop.Start(ttl / 3, c => RenewAsync(key, token, c), _stopped.Token);
        return new Held(key, token, renewal);
    }

    public async Task ReleaseAsync(LockHandle handle, CancellationToken cancellation)
    {
        var held = (Held)handle;
        held.Renewal.Stop();
        var reply = await connection.CallAsync(["EVALSHA", scripts.ReleaseSha, "1", held.Key, held.Token], cancellation).ConfigureAwait(false);
        if (reply is not { Kind: RespKind.Integer, Integer: 1 })
        {
            throw new LockSystemException($"redis: release of {held.Key} by {name} answered {reply}: the lock had expired or was taken");
        }
    }

    // The connection drops and renewals stop; the key expires after its PX.
    public ValueTask KillAsync()
    {
        _stopped.Cancel();
        connection.Abort();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _stopped.Cancel();
        await connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task<bool> RenewAsync(string key, string token, CancellationToken cancellation)
    {
        var reply = await connection.CallAsync(["EVALSHA", scripts.RenewSha, "1", key, token, _ttlMs], cancellation).ConfigureAwait(false);
        return reply is { Kind: RespKind.Integer, Integer: 1 };
    }

    internal sealed record Scripts(string ReleaseSha, string RenewSha);

    private sealed class Held(string key, string token, RenewalLoop renewal) : LockHandle(key)
    {
        public string Token { get; } = token;

        public RenewalLoop Renewal { get; } = renewal;
    }
}
