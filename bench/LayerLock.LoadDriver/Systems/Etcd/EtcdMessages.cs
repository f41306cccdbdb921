using System.Text.Json.Serialization;

namespace LayerLock.LoadDriver.Systems.Etcd;

// The etcd v3 gRPC-gateway's JSON (etcd 3.4, /v3/...): bytes fields are base64, int64 fields are
// JSON strings.

internal sealed record LeaseGrantRequest([property: JsonPropertyName("TTL")] long Ttl);

internal sealed record LeaseGrantResponse([property: JsonPropertyName("ID")] long Id, [property: JsonPropertyName("TTL")] long Ttl);

internal sealed record LeaseIdRequest([property: JsonPropertyName("ID")] long Id);

/// <summary><c>/v3/lease/keepalive</c> is a stream; one request gets one <c>result</c>. A TTL of 0 (absent) = the lease is gone.</summary>
internal sealed record LeaseKeepAliveResponse([property: JsonPropertyName("result")] LeaseGrantResponse? Result);

internal sealed record LockRequest([property: JsonPropertyName("name")] byte[] Name, [property: JsonPropertyName("lease")] long Lease);

internal sealed record LockResponse([property: JsonPropertyName("key")] byte[]? Key);

internal sealed record UnlockRequest([property: JsonPropertyName("key")] byte[] Key);

[JsonSourceGenerationOptions(NumberHandling = JsonNumberHandling.AllowReadingFromString | JsonNumberHandling.WriteAsString)]
[JsonSerializable(typeof(LeaseGrantRequest))]
[JsonSerializable(typeof(LeaseGrantResponse))]
[JsonSerializable(typeof(LeaseIdRequest))]
[JsonSerializable(typeof(LeaseKeepAliveResponse))]
[JsonSerializable(typeof(LockRequest))]
[JsonSerializable(typeof(LockResponse))]
[JsonSerializable(typeof(UnlockRequest))]
internal sealed partial class EtcdJsonContext : JsonSerializerContext;
