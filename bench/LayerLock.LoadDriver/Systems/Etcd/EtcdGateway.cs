using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LayerLock.LoadDriver.Systems.Etcd;

/// <summary>The calls the etcd adapter makes on the v3 JSON gateway.</summary>
internal sealed class EtcdGateway(HttpClient http)
{
    /// <returns>The lease id and the TTL etcd granted (it raises a TTL below its minimum, 1.5 election timeouts rounded up to whole seconds).</returns>
    public async Task<(long Id, TimeSpan GrantedTtl)> GrantLeaseAsync(TimeSpan ttl, CancellationToken cancellation)
    {
        var granted = await PostAsync("/v3/lease/grant", new LeaseGrantRequest((long)ttl.TotalSeconds), EtcdJsonContext.Default.LeaseGrantRequest,
            EtcdJsonContext.Default.LeaseGrantResponse, cancellation).ConfigureAwait(false);
        return granted.Id != 0 ? (granted.Id, TimeSpan.FromSeconds(granted.Ttl)) : throw new LockSystemException("etcd: /v3/lease/grant answered no lease id");
    }

    /// <returns>False when the lease is gone (expired or revoked).</returns>
    public async Task<bool> KeepLeaseAliveAsync(long lease, CancellationToken cancellation)
    {
        var kept = await PostAsync("/v3/lease/keepalive", new LeaseIdRequest(lease), EtcdJsonContext.Default.LeaseIdRequest,
            EtcdJsonContext.Default.LeaseKeepAliveResponse, cancellation).ConfigureAwait(false);
        return kept.Result is { Ttl: > 0 };
    }

    public Task RevokeLeaseAsync(long lease, CancellationToken cancellation) =>
        PostAsync("/v3/lease/revoke", new LeaseIdRequest(lease), EtcdJsonContext.Default.LeaseIdRequest, EtcdJsonContext.Default.LeaseKeepAliveResponse, cancellation);

    /// <returns>The lock's own key (name/lease-id), which unlock deletes.</returns>
    public async Task<byte[]> LockAsync(byte[] name, long lease, CancellationToken cancellation)
    {
        var locked = await PostAsync("/v3/lock/lock", new LockRequest(name, lease), EtcdJsonContext.Default.LockRequest,
            EtcdJsonContext.Default.LockResponse, cancellation).ConfigureAwait(false);
        return locked.Key is { Length: > 0 } key ? key : throw new LockSystemException("etcd: /v3/lock/lock answered no key");
    }

    public Task UnlockAsync(byte[] key, CancellationToken cancellation) =>
        PostAsync("/v3/lock/unlock", new UnlockRequest(key), EtcdJsonContext.Default.UnlockRequest, EtcdJsonContext.Default.LockResponse, cancellation);

    private async Task<TResponse> PostAsync<TRequest, TResponse>(
        string path, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken cancellation)
    {
        try
        {
            using var response = await http.PostAsync(path, PooledHttp.JsonBody(request, requestType), cancellation).ConfigureAwait(false);
            var bytes = await response.Content.ReadAsByteArrayAsync(cancellation).ConfigureAwait(false);
            if (response.StatusCode != HttpStatusCode.OK)
            {
                throw new LockSystemException($"etcd: POST {path}: HTTP {(int)response.StatusCode} {Encoding.UTF8.GetString(bytes)}");
            }

            return JsonSerializer.Deserialize(bytes, responseType) ?? throw new LockSystemException($"etcd: POST {path} answered null");
        }
        catch (HttpRequestException error)
        {
            throw new LockSystemException($"etcd: POST {path} to {http.BaseAddress}: {error.Message}", error);
        }
        catch (JsonException error)
        {
            throw new LockSystemException($"etcd: POST {path}: unreadable answer: {error.Message}", error);
        }
    }
}
