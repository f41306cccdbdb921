namespace LayerLock.NodeAgent.Coordination;

/// <summary>
/// A confirmed release: <paramref name="Next"/> is the node granted next when the Coordinator
/// answered the unlock; <paramref name="ViaFailPath"/> is true when the lock was released because
/// its session ended (confirmed by the registration of a newer session that did not claim it).
/// </summary>
public sealed record ReleaseConfirmation(string? Next, bool ViaFailPath);
