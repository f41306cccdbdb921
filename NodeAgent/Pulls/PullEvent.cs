using System.Text.Json.Serialization;

namespace LayerLock.NodeAgent.Pulls;

/// <summary>
/// One line of a pull's progress stream (NDJSON from the agent's control API): a layer's state,
/// then one final <c>done</c> or <c>failed</c>. <paramref name="Size"/> is the layer's size in
/// bytes from its manifest, when the mirror has seen it. <paramref name="Source"/> says where a
/// downloading or done layer's bytes come from: <c>upstream</c> or <c>peer NODE</c>.
/// </summary>
public sealed record PullEvent(
    string Event,
    string? Reference = null,
    string? Digest = null,
    string? State = null,
    int? Position = null,
    string? Holder = null,
    long? Bytes = null,
    string? Error = null,
    long? Size = null,
    string? Source = null);

public sealed record PullRequestBody(string? Ref);

public sealed record RemoveRequestBody(string? Ref);

public sealed record RemovedBody(string Removed, IReadOnlyDictionary<string, int> RefCounts);

public sealed record StatusBody(string Node, bool Connected, Uri Coordinator, IReadOnlyList<HeldLockBody> Held, IReadOnlyList<TransferBody> Transfers);

public sealed record HeldLockBody(string Key, long Token);

public sealed record TransferBody(string Digest, string State, int? Position, string? Holder, long? Bytes, string? Source = null);

public sealed record RefCountsBody(IReadOnlyDictionary<string, int> RefCounts);

public sealed record ControlErrorBody(string Error);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PullEvent))]
[JsonSerializable(typeof(PullRequestBody))]
[JsonSerializable(typeof(RemoveRequestBody))]
[JsonSerializable(typeof(RemovedBody))]
[JsonSerializable(typeof(StatusBody))]
[JsonSerializable(typeof(RefCountsBody))]
[JsonSerializable(typeof(ControlErrorBody))]
public sealed partial class AgentJsonContext : JsonSerializerContext;
