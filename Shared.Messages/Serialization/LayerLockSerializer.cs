using System.Collections.Frozen;
using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;

namespace LayerLock.Messages.Serialization;

/// <summary>
/// The one serializer for the messages of the Akka.Remote agent link (every
/// <see cref="IWireMessage"/>), bound by <see cref="Hocon"/>.
/// </summary>
/// <remarks>
/// <para>Identifier <see cref="Id"/> (19532, 0x4C4C: "LL"). It is written into every message on the
/// wire and picks the serializer on the receiving side: it must never change, and no other
/// serializer in a LayerLock ActorSystem may use it.</para>
/// <para>Manifest: a short name per message type from a fixed table (<c>acquire</c>,
/// <c>granted</c>, …), never the CLR type name, so renaming or moving a record does not change the
/// wire. A manifest, once shipped, is never reused for another shape.</para>
/// <para>Payload: UTF-8 JSON from a System.Text.Json source-generated context, properties in
/// snake_case (<c>request_id</c>), <c>null</c> written out. <see cref="TimeSpan"/> and
/// <c>TimeSpan?</c> fields are JSON integers of whole milliseconds (<c>"wait": 1500</c>); a
/// sub-millisecond part is truncated. Unknown properties are skipped when reading, so a newer peer
/// may add an optional field; a missing field, or <c>null</c> where the record does not allow one,
/// fails.</para>
/// <para>Failures throw <see cref="SerializationException"/> naming the manifest (or the type when
/// sending): an unknown manifest, a payload that does not parse, a type with no manifest.
/// Akka.Remote treats that as transient: it logs, drops that one message and keeps the
/// association.</para>
/// </remarks>
public sealed class LayerLockSerializer : SerializerWithStringManifest
{
    /// <summary>This serializer's identifier on the wire; never change it.</summary>
    public const int Id = 19532;

    /// <summary>
    /// HOCON that registers this serializer as <c>layerlock</c> and binds every
    /// <see cref="IWireMessage"/> to it. It also sets
    /// <c>akka.actor.serialization-settings.allow-unregistered-types = false</c>: a message type
    /// bound to no serializer then fails to send (<see cref="SerializationException"/>, logged and
    /// dropped by Akka.Remote) instead of falling back to Akka's Newtonsoft JSON through the
    /// <c>System.Object</c> binding. That setting is system-wide; Akka's own remote messages
    /// (Identify, heartbeats, system messages, strings) keep their explicit bindings.
    /// </summary>
    /// <example><code>
    /// var config = ConfigurationFactory.ParseString(LayerLockSerializer.Hocon).WithFallback(remoteConfig);
    /// </code></example>
    public const string Hocon = """
        akka.actor {
          serializers {
            layerlock = "LayerLock.Messages.Serialization.LayerLockSerializer, Shared.Messages"
          }
          serialization-bindings {
            "LayerLock.Messages.IWireMessage, Shared.Messages" = layerlock
          }
          serialization-settings {
            allow-unregistered-types = false
          }
        }
        """;

    private static readonly WireType[] Table =
    [
        // Agent → Coordinator: lock requests.
        new(typeof(AcquireLock), "acquire", WireJsonContext.Default.AcquireLock),
        new(typeof(ReleaseLock), "release", WireJsonContext.Default.ReleaseLock),
        new(typeof(CancelWait), "cancel", WireJsonContext.Default.CancelWait),
        new(typeof(KeepLockAlive), "keep-alive", WireJsonContext.Default.KeepLockAlive),
        new(typeof(ClaimLock), "claim", WireJsonContext.Default.ClaimLock),
        new(typeof(ReportProgress), "progress", WireJsonContext.Default.ReportProgress),

        // Coordinator → agent: lock replies.
        new(typeof(LockGranted), "granted", WireJsonContext.Default.LockGranted),
        new(typeof(LockQueued), "queued", WireJsonContext.Default.LockQueued),
        new(typeof(LockNotAcquired), "not-acquired", WireJsonContext.Default.LockNotAcquired),
        new(typeof(LockReleased), "released", WireJsonContext.Default.LockReleased),
        new(typeof(LockRefused), "refused", WireJsonContext.Default.LockRefused),
        new(typeof(LockKeptAlive), "kept-alive", WireJsonContext.Default.LockKeptAlive),
        new(typeof(ClaimAccepted), "claim-accepted", WireJsonContext.Default.ClaimAccepted),
        new(typeof(ClaimRejected), "claim-rejected", WireJsonContext.Default.ClaimRejected),
        new(typeof(LockRevoked), "revoked", WireJsonContext.Default.LockRevoked),

        // Agent sessions.
        new(typeof(RegisterAgent), "register", WireJsonContext.Default.RegisterAgent),
        new(typeof(AgentRegistered), "registered", WireJsonContext.Default.AgentRegistered),
        new(typeof(RegistrationRefused), "registration-refused", WireJsonContext.Default.RegistrationRefused),
        new(typeof(ReconcileHeld), "reconcile", WireJsonContext.Default.ReconcileHeld),
        new(typeof(LinkAlive), "alive", WireJsonContext.Default.LinkAlive),
        new(typeof(AgentLayers), "layers", WireJsonContext.Default.AgentLayers),
        new(typeof(PeerGranted), "peer-granted", WireJsonContext.Default.PeerGranted),
        new(typeof(PeerFetched), "peer-fetched", WireJsonContext.Default.PeerFetched),
    ];

    private static readonly FrozenDictionary<Type, WireType> ByType = Table.ToFrozenDictionary(w => w.Type);
    private static readonly FrozenDictionary<string, WireType> ByManifest = Table.ToFrozenDictionary(w => w.Manifest, StringComparer.Ordinal);

    public LayerLockSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc cref="Id"/>
    public override int Identifier => Id;

    /// <summary>The message's manifest from the fixed table.</summary>
    /// <exception cref="SerializationException"><paramref name="o"/>'s type has no manifest.</exception>
    public override string Manifest(object o) => Find(o).Manifest;

    /// <summary>The message as UTF-8 JSON.</summary>
    /// <exception cref="SerializationException"><paramref name="obj"/>'s type has no manifest, or it cannot be written.</exception>
    public override byte[] ToBinary(object obj)
    {
        var wire = Find(obj);
        try
        {
            return JsonSerializer.SerializeToUtf8Bytes(obj, wire.TypeInfo);
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new SerializationException($"LayerLockSerializer: cannot write {obj.GetType().Name} (manifest \"{wire.Manifest}\"): {e.Message}", e);
        }
    }

    /// <summary>The message named by <paramref name="manifest"/>, read from UTF-8 JSON.</summary>
    /// <exception cref="SerializationException">The manifest is unknown, or the payload is not a valid message of that manifest.</exception>
    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!ByManifest.TryGetValue(manifest, out var wire))
        {
            throw new SerializationException($"LayerLockSerializer: unknown manifest \"{manifest}\"; the peer sent a message this build does not know");
        }

        try
        {
            return JsonSerializer.Deserialize(bytes, wire.TypeInfo)
                ?? throw new JsonException("the payload is null");
        }
        catch (Exception e) when (e is JsonException or NotSupportedException or InvalidOperationException or ArgumentException)
        {
            throw new SerializationException($"LayerLockSerializer: the payload of manifest \"{manifest}\" is not a valid {wire.Type.Name}: {e.Message}", e);
        }
    }

    private static WireType Find(object message) =>
        ByType.TryGetValue(message.GetType(), out var wire)
            ? wire
            : throw new SerializationException($"LayerLockSerializer: {message.GetType().FullName} has no manifest; add it to the serializer's table and to WireJsonContext");

    private sealed record WireType(Type Type, string Manifest, JsonTypeInfo TypeInfo);
}
