using System.Net.Http.Json;
using System.Text.Json;
using dotnet_etcd;
using Etcdserverpb;
using Google.Protobuf;
using Grpc.Core;
using LayerLock.LoadDriver.Systems;
using LayerLock.Messages.Http;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// Tells when a waiter's acquire is really waiting in the system, so a holder is killed only behind
/// a queued waiter. LayerLock (both APIs): the waiter's node is in the key's <c>waiters</c> of
/// <c>GET /locks</c>. etcd: the waiter's own lock key exists under the lock's prefix (etcd's lock
/// recipe puts one key per contender under <c>name/</c>). Redis has no queue: the waiter is
/// polling once its acquire has been running for <see cref="RedisPollingAfter"/> (at least two
/// <c>SET NX</c> attempts at the default profile's 100 ms retry).
/// </summary>
public sealed class WaiterQueueProbe : IDisposable
{
    public static readonly TimeSpan RedisPollingAfter = TimeSpan.FromMilliseconds(200);

    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(20);
    private readonly string _system;
    private readonly HttpClient? _http;
    private readonly EtcdClient? _etcd;

    public WaiterQueueProbe(string system, LockSystemOptions options)
    {
        _system = system;
        _http = system is LockSystems.LayerLockRemote or LockSystems.LayerLockHttp
            ? PooledHttp.Create(LockSystems.HttpEndpoint(options.Endpoint))
            : null;
        _etcd = system is LockSystems.Etcd
            ? new EtcdClient(LockSystems.HttpEndpoint(options.Endpoint).GetLeftPart(UriPartial.Authority))
            : null;
    }

    /// <summary>How the probe decides, for the run's notes.</summary>
    public string Method => _system switch
    {
        LockSystems.LayerLockRemote or LockSystems.LayerLockHttp => "waiter seen in the key's waiters of GET /locks",
        LockSystems.Etcd => "waiter's own lock key seen under the lock's prefix (a count-only Range, 2 keys)",
        _ => $"waiter's acquire running for {RedisPollingAfter.TotalMilliseconds:0} ms (polling; Redis has no queue to look at)",
    };

    /// <summary>Completes once <paramref name="waiter"/>'s acquire of <paramref name="key"/> (the running <paramref name="acquire"/>) waits in the system.</summary>
    /// <returns>False when it was not seen waiting within <paramref name="timeout"/>, or the acquire ended first.</returns>
    public async Task<bool> WaitQueuedAsync(string key, string waiter, Task acquire, TimeSpan timeout, CancellationToken cancellation)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        deadline.CancelAfter(timeout);
        try
        {
            if (_http is null && _etcd is null)
            {
                await Task.Delay(RedisPollingAfter, deadline.Token).ConfigureAwait(false);
                return !acquire.IsCompleted;
            }

            while (!acquire.IsCompleted)
            {
                if (await IsQueuedAsync(key, waiter, deadline.Token).ConfigureAwait(false))
                {
                    return !acquire.IsCompleted;
                }

                await Task.Delay(PollEvery, deadline.Token).ConfigureAwait(false);
            }

            return false;
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _http?.Dispose();
        _etcd?.Dispose();
    }

    private async Task<bool> IsQueuedAsync(string key, string waiter, CancellationToken cancellation)
    {
        try
        {
            if (_etcd is not null)
            {
                // Keys name/<lease> sort between "name/" and "name0" ('0' follows '/').
                var range = new RangeRequest { Key = ByteString.CopyFromUtf8(key + "/"), RangeEnd = ByteString.CopyFromUtf8(key + "0"), CountOnly = true };
                var answer = await _etcd.GetAsync(range, cancellationToken: cancellation).ConfigureAwait(false);
                return answer.Count >= 2;
            }

            var locks = await _http!.GetFromJsonAsync("/locks", HttpJsonContext.Default.LocksBody, cancellation).ConfigureAwait(false);
            return locks?.Locks.Any(l => l.Key == key && l.Waiters.Contains(waiter)) == true;
        }
        catch (Exception error) when (error is HttpRequestException or JsonException or RpcException)
        {
            return false;
        }
    }
}
