using System.Text.Json.Nodes;

namespace LayerLock.LoadDriver.Systems.Redis;

/// <summary>
/// Redis with the single-instance lock recipe, over a minimal RESP2 client. One client = one TCP
/// connection. Acquire: <c>SET key token NX PX ttl</c>, retried every <c>retry</c> while it answers
/// nil; while held, a compare-and-<c>PEXPIRE</c> script every TTL/3; release: the
/// compare-and-<c>DEL</c> script by <c>EVALSHA</c>.
/// </summary>
internal sealed class RedisSystem((string Host, int Port) endpoint, TimeSpan ttl, TimeSpan retry, TimeSpan wait) : ILockSystem
{
    public const string ReleaseScript = "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('del',KEYS[1]) else return 0 end";
    public const string RenewScript = "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('pexpire',KEYS[1],ARGV[2]) else return 0 end";

    public string Name => "redis";

    public string Protocol =>
        $"RESP2 over one TCP connection per client; SET key token NX PX {(long)ttl.TotalMilliseconds}, waiters retry every {retry.TotalMilliseconds:0.###} ms; " +
        $"compare-and-PEXPIRE script every {(long)(ttl / 3).TotalMilliseconds} ms while held; release by EVALSHA of the compare-and-DEL script";

    public JsonObject Settings() => new()
    {
        ["endpoint"] = $"{endpoint.Host}:{endpoint.Port}",
        ["ttl_ms"] = (long)ttl.TotalMilliseconds,
        ["retry_ms"] = retry.TotalMilliseconds,
        ["renew_every_ms"] = (long)(ttl / 3).TotalMilliseconds,
        ["wait_ms"] = (long)wait.TotalMilliseconds,
    };

    public async Task<ILockClient> ConnectAsync(string clientName, CancellationToken cancellation)
    {
        var connection = await RedisConnection.OpenAsync(endpoint.Host, endpoint.Port, cancellation).ConfigureAwait(false);
        try
        {
            var release = await LoadScriptAsync(connection, ReleaseScript, cancellation).ConfigureAwait(false);
            var renew = await LoadScriptAsync(connection, RenewScript, cancellation).ConfigureAwait(false);
            return new RedisClient(clientName, connection, new RedisClient.Scripts(release, renew), ttl, retry, wait);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static async Task<string> LoadScriptAsync(RedisConnection connection, string script, CancellationToken cancellation)
    {
        var sha = await connection.CallAsync(["SCRIPT", "LOAD", script], cancellation).ConfigureAwait(false);
        return sha is { Kind: RespKind.BulkString, Text: { } text } ? text : throw new LockSystemException($"redis: SCRIPT LOAD answered {sha}");
    }
}
