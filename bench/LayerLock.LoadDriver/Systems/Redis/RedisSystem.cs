using System.Reflection;
using System.Text.Json.Nodes;
using StackExchange.Redis;

namespace LayerLock.LoadDriver.Systems.Redis;

/// <summary>
/// Redis with the single-instance lock recipe, through StackExchange.Redis. One client = one
/// <see cref="ConnectionMultiplexer"/> with one TCP connection (the recipe needs no pub/sub, so
/// the multiplexer's second, subscription connection is switched off). Acquire:
/// <c>SET key token NX</c> with the TTL, retried every <c>retry</c> while it is refused; while
/// held, a compare-and-<c>PEXPIRE</c> script every TTL/3; release: the compare-and-<c>DEL</c>
/// script. Both scripts are <c>SCRIPT LOAD</c>ed per connection and run by <c>EVALSHA</c>.
/// </summary>
/// <remarks>
/// StackExchange.Redis's own <c>LockTake</c>/<c>LockRelease</c> are not used: below Redis 8.4
/// its release and extend are <c>WATCH</c>/<c>MULTI</c>/<c>EXEC</c> transactions, several round
/// trips where the recipe's script is one.
/// </remarks>
internal sealed class RedisSystem((string Host, int Port) endpoint, TimeSpan ttl, TimeSpan retry, TimeSpan wait) : ILockSystem
{
    public const string ReleaseScript = "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('del',KEYS[1]) else return 0 end";
    public const string RenewScript = "if redis.call('get',KEYS[1])==ARGV[1] then return redis.call('pexpire',KEYS[1],ARGV[2]) else return 0 end";

    private static readonly string Library = $"StackExchange.Redis {typeof(ConnectionMultiplexer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]}";

    // The lock recipe uses no pub/sub: without SUBSCRIBE the multiplexer opens no subscription connection.
    private static readonly CommandMap NoPubSub = CommandMap.Create(new HashSet<string> { "SUBSCRIBE" }, available: false);

    public string Name => "redis";

    public string Protocol =>
        $"{Library}, one multiplexer (one TCP connection, RESP3 as the library negotiates it) per client; SET key token NX with a {(long)ttl.TotalMilliseconds} ms TTL, waiters retry every {retry.TotalMilliseconds:0.###} ms; " +
        $"compare-and-PEXPIRE script every {(long)(ttl / 3).TotalMilliseconds} ms while held; release by EVALSHA of the compare-and-DEL script";

    public JsonObject Settings() => new()
    {
        ["endpoint"] = $"{endpoint.Host}:{endpoint.Port}",
        ["client"] = Library,
        ["ttl_ms"] = (long)ttl.TotalMilliseconds,
        ["retry_ms"] = retry.TotalMilliseconds,
        ["renew_every_ms"] = (long)(ttl / 3).TotalMilliseconds,
        ["wait_ms"] = (long)wait.TotalMilliseconds,
    };

    public async Task<ILockClient> ConnectAsync(string clientName, CancellationToken cancellation)
    {
        var options = new ConfigurationOptions
        {
            EndPoints = { { endpoint.Host, endpoint.Port } },
            ClientName = clientName,
            CommandMap = NoPubSub,
        };
        var connecting = ConnectionMultiplexer.ConnectAsync(options);
        ConnectionMultiplexer redis;
        try
        {
            redis = await connecting.WaitAsync(cancellation).ConfigureAwait(false);
        }
        catch (RedisException error)
        {
            throw new LockSystemException($"redis: cannot reach {endpoint.Host}:{endpoint.Port}: {error.Message}; is redis-server running?", error);
        }
        catch (OperationCanceledException)
        {
            // Given up on, not abandoned: a connection that still comes up is closed.
            _ = connecting.ContinueWith(c => c.Result.Dispose(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
            throw;
        }

        try
        {
            var server = redis.GetServer(endpoint.Host, endpoint.Port);
            var release = await server.ScriptLoadAsync(ReleaseScript).ConfigureAwait(false);
            var renew = await server.ScriptLoadAsync(RenewScript).ConfigureAwait(false);
            return new RedisLockClient(clientName, redis, new RedisLockClient.Scripts(release, renew), ttl, retry, wait);
        }
        catch (RedisException error)
        {
            await redis.DisposeAsync().ConfigureAwait(false);
            throw new LockSystemException($"redis: SCRIPT LOAD failed: {error.Message}", error);
        }
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
