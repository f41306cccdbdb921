namespace LayerLock.LoadDriver.Systems;

/// <summary>A lock service answered with something other than what the driver asked for, or could not be reached.</summary>
public sealed class LockSystemException(string message, Exception? inner = null) : Exception(message, inner);
