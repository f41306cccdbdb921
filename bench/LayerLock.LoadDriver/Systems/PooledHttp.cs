using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LayerLock.LoadDriver.Systems;

/// <summary>The HTTP client the HTTP-based adapters share among their clients: pooled keep-alive connections, no client-side timeout (each call carries a cancellation token).</summary>
internal static class PooledHttp
{
    public static HttpClient Create(Uri baseAddress) => new(new SocketsHttpHandler
    {
        PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(2),
        MaxConnectionsPerServer = int.MaxValue,
        UseProxy = false,
        AllowAutoRedirect = false,
        UseCookies = false,
    })
    {
        BaseAddress = baseAddress,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    /// <summary>A JSON body with a Content-Length (serialized up front, so no chunked encoding).</summary>
    public static ByteArrayContent JsonBody<T>(T value, JsonTypeInfo<T> type)
    {
        var content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(value, type));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }
}
