namespace LayerLock.Specs.Locks.Contract;

/// <summary>One node's connection to a lock service, as the contract suite drives it.</summary>
public interface ILockClient : IAsyncDisposable
{
    string Node { get; }

    /// <summary>Sends a lock request and returns at once; <see cref="LockAttempt.Outcome"/> completes with the final answer.</summary>
    Task<LockAttempt> LockAsync(string key, TimeSpan wait);

    Task<UnlockOutcome> UnlockAsync(string key, long token, bool success = true, string? error = null);

    /// <summary>Withdraws a waiting request (for HTTP: the client gives up and disconnects).</summary>
    Task CancelAsync(LockAttempt attempt);

    /// <summary>The connection dies abruptly, as when the process is killed.</summary>
    Task DropAsync();
}

public sealed record LockAttempt(string Key, long RequestId, Task<AttemptOutcome> Outcome);

/// <param name="Reason">Why not acquired: busy, timeout, cancelled, ….</param>
public sealed record AttemptOutcome(bool Acquired, long Token, string? Reason, string? Holder);

/// <param name="Error">Why the unlock was refused.</param>
public sealed record UnlockOutcome(bool Released, string? Next, string? Error);
