namespace LayerLock.NodeAgent.Coordination;

/// <summary>
/// What outlives one <see cref="LockClient"/> incarnation: whether a session is open, the leases
/// carried over to the client of a new ActorSystem after a quarantine, and the restart request.
/// Thread-safe: written by the client actor, read by the link's callers.
/// </summary>
internal sealed class LinkState(Action requestRestart)
{
    private readonly Lock _sync = new();
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private List<LockLease> _carried = [];
    private LockLease[] _held = [];

    public bool IsConnected => Volatile.Read(ref _connected).Task.IsCompletedSuccessfully;

    public Task Connected => Volatile.Read(ref _connected).Task;

    public void SetConnected() => Volatile.Read(ref _connected).TrySetResult();

    public void SetDisconnected()
    {
        lock (_sync)
        {
            if (_connected.Task.IsCompleted)
            {
                _connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
        }
    }

    /// <summary>The locks the agent holds now, as last published by the client.</summary>
    public IReadOnlyCollection<LockLease> Held => Volatile.Read(ref _held);

    public void PublishHeld(IEnumerable<LockLease> held) => Volatile.Write(ref _held, [.. held]);

    public void RequestRestart() => requestRestart();

    public void CarryLeases(IEnumerable<LockLease> leases)
    {
        lock (_sync)
        {
            _carried = [.. leases];
        }
    }

    public IReadOnlyList<LockLease> TakeCarriedLeases()
    {
        lock (_sync)
        {
            var carried = _carried;
            _carried = [];
            return carried;
        }
    }
}
