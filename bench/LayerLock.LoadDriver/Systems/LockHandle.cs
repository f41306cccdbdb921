namespace LayerLock.LoadDriver.Systems;

/// <summary>A held lock. Each system's client subclasses it with what it needs to release (token, lock key, …).</summary>
public abstract class LockHandle(string key)
{
    public string Key { get; } = key;
}
