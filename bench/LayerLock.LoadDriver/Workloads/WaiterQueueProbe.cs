using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
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

    public WaiterQueueProbe(string system, LockSystemOptions options)
    {
        _system = system;
        _http = system is LockSystems.LayerLockWs or LockSystems.LayerLockHttp or LockSystems.Etcd
            ? PooledHttp.Create(LockSystems.HttpEndpoint(options.Endpoint))
            : null;
    }

    /// <summary>How the probe decides, for the run's notes.</summary>
    public string Method => _system switch
    {
        LockSystems.LayerLockWs or LockSystems.LayerLockHttp => "waiter seen in the key's waiters of GET /locks",
        LockSystems.Etcd => "waiter's own lock key seen under the lock's prefix (POST /v3/kv/range, 2 keys)",
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
            if (_http is null)
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

    public void Dispose() => _http?.Dispose();

    private async Task<bool> IsQueuedAsync(string key, string waiter, CancellationToken cancellation)
    {
        try
        {
            if (_system == LockSystems.Etcd)
            {
                // Keys name/<lease> sort between "name/" and "name0" ('0' follows '/').
                var range = new RangeRequest(Encoding.UTF8.GetBytes(key + "/"), Encoding.UTF8.GetBytes(key + "0"), CountOnly: true);
                using var content = PooledHttp.JsonBody(range, ProbeJsonContext.Default.RangeRequest);
                using var response = await _http!.PostAsync("/v3/kv/range", content, cancellation).ConfigureAwait(false);
                var answer = await response.Content.ReadFromJsonAsync(ProbeJsonContext.Default.RangeResponse, cancellation).ConfigureAwait(false);
                return response.StatusCode == HttpStatusCode.OK && answer is { Count: >= 2 };
            }

            var locks = await _http!.GetFromJsonAsync("/locks", HttpJsonContext.Default.LocksBody, cancellation).ConfigureAwait(false);
            return locks?.Locks.Any(l => l.Key == key && l.Waiters.Contains(waiter)) == true;
        }
        catch (Exception error) when (error is HttpRequestException or JsonException)
        {
            return false;
        }
    }

    internal sealed record RangeRequest(
        [property: JsonPropertyName("key")] byte[] Key,
        [property: JsonPropertyName("range_end")] byte[] RangeEnd,
        [property: JsonPropertyName("count_only")] bool CountOnly);

    /// <summary>etcd leaves <c>count</c> out when it is 0; int64 fields are JSON strings.</summary>
    internal sealed record RangeResponse([property: JsonPropertyName("count")] long Count);
}

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString)]
[JsonSerializable(typeof(WaiterQueueProbe.RangeRequest))]
[JsonSerializable(typeof(WaiterQueueProbe.RangeResponse))]
internal sealed partial class ProbeJsonContext : JsonSerializerContext;
