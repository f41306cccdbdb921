using System.Text.Json.Serialization;

namespace LayerLock.Messages.Session;

/// <summary>
/// One JSON text frame of an agent session at <c>/v1/session</c>; <c>type</c> names the kind.
/// Agent → Coordinator: hello, lock, unlock, cancel, progress. Coordinator → agent: welcome,
/// queued, granted, released, revoked, error. See docs/session-protocol.md.
/// </summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "type", UnknownDerivedTypeHandling = JsonUnknownDerivedTypeHandling.FailSerialization)]
[JsonDerivedType(typeof(HelloFrame), "hello")]
[JsonDerivedType(typeof(WelcomeFrame), "welcome")]
[JsonDerivedType(typeof(LockFrame), "lock")]
[JsonDerivedType(typeof(QueuedFrame), "queued")]
[JsonDerivedType(typeof(GrantedFrame), "granted")]
[JsonDerivedType(typeof(UnlockFrame), "unlock")]
[JsonDerivedType(typeof(ReleasedFrame), "released")]
[JsonDerivedType(typeof(CancelFrame), "cancel")]
[JsonDerivedType(typeof(RevokedFrame), "revoked")]
[JsonDerivedType(typeof(ProgressFrame), "progress")]
[JsonDerivedType(typeof(ErrorFrame), "error")]
public abstract record SessionFrame;

/// <summary>A lock the agent holds, presented again after a reconnect.</summary>
public sealed record HeldLock(string Key, long Token);

/// <summary>First frame of a session. <paramref name="Held"/> lists locks the agent still holds.</summary>
public sealed record HelloFrame(string Node, IReadOnlyList<HeldLock>? Held = null) : SessionFrame;

/// <summary>Answer to hello: which held locks carried over and which did not (the agent must abort those).</summary>
public sealed record WelcomeFrame(string Node, string Session, IReadOnlyList<HeldLock> Claimed, IReadOnlyList<RejectedClaim> Rejected) : SessionFrame;

public sealed record RejectedClaim(string Key, long Token, string Reason);

/// <summary>Asks for a lock. <paramref name="WaitMs"/> 0 = try once, never queue.</summary>
public sealed record LockFrame(long Req, string Key, long WaitMs) : SessionFrame;

/// <summary>The request waits at <paramref name="Position"/> (1 = next) behind <paramref name="Holder"/>.</summary>
public sealed record QueuedFrame(long Req, string Key, int Position, string? Holder) : SessionFrame;

public sealed record GrantedFrame(long Req, string Key, long Token) : SessionFrame;

/// <summary>Releases a held lock; <paramref name="Error"/> says why when <paramref name="Success"/> is false.</summary>
public sealed record UnlockFrame(string Key, long Token, bool Success, string? Error = null) : SessionFrame;

public sealed record ReleasedFrame(string Key, long Token, string? Next) : SessionFrame;

/// <summary>Withdraws the waiting request <paramref name="Req"/>.</summary>
public sealed record CancelFrame(long Req) : SessionFrame;

/// <summary>Bytes transferred so far under a held lock (for stalled-holder protection).</summary>
public sealed record ProgressFrame(string Key, long Token, long Bytes) : SessionFrame;

/// <summary>A held lock was taken away (lease expired, transfer stalled); the agent must stop the transfer under it.</summary>
public sealed record RevokedFrame(string Key, long Token, string Reason) : SessionFrame;

/// <summary>
/// A request ended without the lock or a frame was refused. <paramref name="Code"/>: busy, timeout,
/// cancelled, superseded, recovering, refused, unknown-request, bad-frame, frame-too-large,
/// binary-frame, unknown-type, hello-required, internal.
/// </summary>
public sealed record ErrorFrame(long? Req, string Code, string Message, string? Key = null, string? Holder = null) : SessionFrame;

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    AllowOutOfOrderMetadataProperties = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(SessionFrame))]
public sealed partial class SessionJsonContext : JsonSerializerContext;
