namespace LayerLock.Messages;

/// <summary>
/// Marks a message that crosses the Akka.Remote agent link; serialized by
/// <see cref="Serialization.LayerLockSerializer"/>, bound to this interface by
/// <see cref="Serialization.LayerLockSerializer.Hocon"/>. Every implementation needs a manifest in
/// that serializer's table.
/// </summary>
public interface IWireMessage;
