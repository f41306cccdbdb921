using System.Text.Json.Serialization;

namespace LayerLock.Messages.Http;

/// <summary><c>POST /lock</c>. <paramref name="ReleaseOnDisconnect"/>: the lock also ends (fail path)
/// when the HTTP connection that took it closes — for clients that keep their connection open.</summary>
public sealed record LockBody(string? Key, string? Node, long? WaitMs, long? TtlMs, bool? ReleaseOnDisconnect);

public sealed record LockAcquiredBody(bool Acquired, string Key, string Node, long Token, long TtlMs);

public sealed record LockNotAcquiredBody(bool Acquired, string? Holder, int Waiters, string Reason);

/// <summary><c>POST /unlock</c>.</summary>
public sealed record UnlockBody(string? Key, string? Node, long? Token, bool? Success, string? Error);

public sealed record UnlockedBody(bool Released, string? Next);

/// <summary><c>POST /keepalive</c>.</summary>
public sealed record KeepAliveBody(string? Key, string? Node, long? Token);

public sealed record KeptAliveBody(long TtlMs);

public sealed record ErrorBody(string Error, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Holder = null);

public sealed record LocksBody(IReadOnlyList<LockEntryBody> Locks);

public sealed record LockEntryBody(string Key, string? Holder, long? Token, long? HeldMs, IReadOnlyList<string> Waiters);

/// <summary>
/// <c>GET /layers</c>: every layer some connected agent has, and where each serves it to peers; and
/// the peer transfers under way (<c>node</c> fetches <c>digest</c> from <c>source</c>, for <c>ms</c>).
/// </summary>
public sealed record LayersBody(IReadOnlyList<LayerEntryBody> Layers, IReadOnlyList<PeerTransferBody> Transfers);

public sealed record PeerTransferBody(string Digest, string Node, string Source, long Ms);

public sealed record LayerEntryBody(string Digest, IReadOnlyList<LayerSourceBody> Nodes);

public sealed record LayerSourceBody(string Node, string Url);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(LockBody))]
[JsonSerializable(typeof(LockAcquiredBody))]
[JsonSerializable(typeof(LockNotAcquiredBody))]
[JsonSerializable(typeof(UnlockBody))]
[JsonSerializable(typeof(UnlockedBody))]
[JsonSerializable(typeof(KeepAliveBody))]
[JsonSerializable(typeof(KeptAliveBody))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(LocksBody))]
[JsonSerializable(typeof(LayersBody))]
public sealed partial class HttpJsonContext : JsonSerializerContext;
