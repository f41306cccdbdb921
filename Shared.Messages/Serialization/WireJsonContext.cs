using System.Text.Json.Serialization;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;

namespace LayerLock.Messages.Serialization;

/// <summary>
/// Source-generated System.Text.Json metadata for every <see cref="IWireMessage"/>: snake_case
/// names, nulls written, durations as milliseconds, and strict reading — a missing constructor
/// argument or a <c>null</c> where the record does not allow one fails. Unknown properties are
/// skipped, so a newer peer may add an optional field.
/// </summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true,
    Converters = [typeof(MillisecondsTimeSpanConverter)])]
[JsonSerializable(typeof(AcquireLock))]
[JsonSerializable(typeof(ReleaseLock))]
[JsonSerializable(typeof(CancelWait))]
[JsonSerializable(typeof(KeepLockAlive))]
[JsonSerializable(typeof(ClaimLock))]
[JsonSerializable(typeof(ReportProgress))]
[JsonSerializable(typeof(LockGranted))]
[JsonSerializable(typeof(LockQueued))]
[JsonSerializable(typeof(LockNotAcquired))]
[JsonSerializable(typeof(LockReleased))]
[JsonSerializable(typeof(LockRefused))]
[JsonSerializable(typeof(LockKeptAlive))]
[JsonSerializable(typeof(ClaimAccepted))]
[JsonSerializable(typeof(ClaimRejected))]
[JsonSerializable(typeof(LockRevoked))]
[JsonSerializable(typeof(RegisterAgent))]
[JsonSerializable(typeof(AgentRegistered))]
[JsonSerializable(typeof(RegistrationRefused))]
[JsonSerializable(typeof(ReconcileHeld))]
[JsonSerializable(typeof(LinkAlive))]
[JsonSerializable(typeof(AgentLayers))]
[JsonSerializable(typeof(PeerGranted))]
[JsonSerializable(typeof(PeerFetched))]
internal sealed partial class WireJsonContext : JsonSerializerContext;
