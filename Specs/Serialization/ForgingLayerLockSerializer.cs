using Akka.Actor;
using Akka.Serialization;
using LayerLock.Messages.Serialization;

namespace LayerLock.Specs.Serialization;

/// <summary>Sent through <see cref="ForgingLayerLockSerializer"/>: goes on the wire with exactly this manifest and payload.</summary>
public sealed record ForgedWireMessage(string Manifest, byte[] Payload);

/// <summary>
/// A peer's <see cref="LayerLockSerializer"/> (same identifier) that can also send what ours cannot
/// read — a newer build's message, a corrupt payload — as a <see cref="ForgedWireMessage"/>.
/// Everything else goes through the real serializer.
/// </summary>
public sealed class ForgingLayerLockSerializer : SerializerWithStringManifest
{
    /// <summary>HOCON that puts this serializer in place of ours and binds <see cref="ForgedWireMessage"/> to it; over <see cref="LayerLockSerializer.Hocon"/>.</summary>
    public const string Hocon = """
        akka.actor {
          serializers.layerlock = "LayerLock.Specs.Serialization.ForgingLayerLockSerializer, Specs"
          serialization-bindings {
            "LayerLock.Specs.Serialization.ForgedWireMessage, Specs" = layerlock
          }
        }
        """;

    private readonly LayerLockSerializer _real;

    public ForgingLayerLockSerializer(ExtendedActorSystem system)
        : base(system) => _real = new LayerLockSerializer(system);

    public override int Identifier => LayerLockSerializer.Id;

    public override string Manifest(object o) => o is ForgedWireMessage forged ? forged.Manifest : _real.Manifest(o);

    public override byte[] ToBinary(object obj) => obj is ForgedWireMessage forged ? forged.Payload : _real.ToBinary(obj);

    public override object FromBinary(byte[] bytes, string manifest) => _real.FromBinary(bytes, manifest);
}
