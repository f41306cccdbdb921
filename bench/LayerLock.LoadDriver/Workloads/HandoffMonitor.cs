namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// Watches the holders of one key from inside the driver: an occupancy count for mutual exclusion,
/// each waiter's send time for FIFO order, and the time of each hand-off from one holder to the next.
/// All methods take one short lock.
/// </summary>
public sealed class HandoffMonitor
{
    private readonly Lock _gate = new();
    private readonly RunClock _clock;
    private readonly long _toleranceTicks;

    // Stopwatch timestamp at which each client sent its acquire; 0 while it is not waiting.
    private readonly long[] _waitingSince;
    private readonly List<long> _fromReleaseReturned = new(4096);
    private readonly List<long> _fromReleaseCalled = new(4096);
    private int _occupancy;
    private int _lastHolder = -1;
    private Handoff? _open;

    public HandoffMonitor(int clients, RunClock clock, TimeSpan overtakeTolerance)
    {
        _waitingSince = new long[clients];
        _clock = clock;
        _toleranceTicks = RunClock.ToTicks(overtakeTolerance);
    }

    /// <summary>Grants inside the measured window.</summary>
    public long Grants { get; private set; }

    /// <summary>Measured grants that went to another client than the previous holder: the lock changed hands.</summary>
    public long Handoffs { get; private set; }

    /// <summary>Measured grants that went back to the client that held the lock just before.</summary>
    public long Regrants { get; private set; }

    /// <summary>Times a grant found another holder still inside its critical section (whole run, warm-up and drain included).</summary>
    public long Overlaps { get; private set; }

    /// <summary>Measured grants that went to a client while another, which had sent its acquire more than the tolerance earlier, still waited.</summary>
    public long Overtakes { get; private set; }

    /// <summary>Measured hand-offs where the next holder's acquire returned before the previous holder's release did.</summary>
    public long GrantsBeforeReleaseReturned { get; private set; }

    /// <summary>Call just before <c>AcquireAsync</c>.</summary>
    public void AcquireSending(int client)
    {
        lock (_gate)
        {
            _waitingSince[client] = RunClock.Now;
        }
    }

    /// <summary>Call when an acquire failed: the client no longer waits.</summary>
    public void AcquireAbandoned(int client)
    {
        lock (_gate)
        {
            _waitingSince[client] = 0;
        }
    }

    /// <summary>Call as soon as <c>AcquireAsync</c> returned, with the timestamp taken then.</summary>
    public void Granted(int client, long at)
    {
        lock (_gate)
        {
            if (++_occupancy > 1)
            {
                Overlaps++;
            }

            var sentAt = _waitingSince[client];
            _waitingSince[client] = 0;
            var regrant = client == _lastHolder;
            _lastHolder = client;
            var measured = _clock.Measured(at);
            if (measured)
            {
                Grants++;
                if (regrant)
                {
                    Regrants++;
                }
                else
                {
                    Handoffs++;
                }

                if (Overtook(client, sentAt))
                {
                    Overtakes++;
                }
            }

            if (_open is { } handoff)
            {
                // A lock that went back to its previous holder was not handed off: no latency sample.
                _open = null;
                handoff.GrantedAt = at;
                handoff.Measured = measured && !regrant;
                Complete(handoff);
            }
        }
    }

    /// <summary>Call just before <c>ReleaseAsync</c>: the critical section is over.</summary>
    /// <returns>The hand-off this release starts; pass it to <see cref="Released"/>.</returns>
    public Handoff Releasing()
    {
        lock (_gate)
        {
            _occupancy--;
            var handoff = new Handoff(RunClock.Now);
            _open = handoff;
            return handoff;
        }
    }

    /// <summary>Call as soon as <c>ReleaseAsync</c> returned (or failed).</summary>
    public void Released(Handoff handoff)
    {
        var at = RunClock.Now;
        lock (_gate)
        {
            handoff.ReleaseReturnedAt = at;
            Complete(handoff);
        }
    }

    /// <summary>Hand-off latencies in µs: from the previous holder's release returning (negative ones count as 0), and from its release call.</summary>
    public (LatencySamples FromReleaseReturned, LatencySamples FromReleaseCalled) Latencies()
    {
        lock (_gate)
        {
            var returned = new LatencySamples(1);
            var called = new LatencySamples(1);
            _fromReleaseReturned.ForEach(t => returned.Add(0, t));
            _fromReleaseCalled.ForEach(t => called.Add(0, t));
            return (returned, called);
        }
    }

    private bool Overtook(int client, long sentAt)
    {
        for (var other = 0; other < _waitingSince.Length; other++)
        {
            var since = _waitingSince[other];
            if (other != client && since != 0 && since < sentAt - _toleranceTicks)
            {
                return true;
            }
        }

        return false;
    }

    private void Complete(Handoff handoff)
    {
        if (handoff.GrantedAt == 0 || handoff.ReleaseReturnedAt == 0 || !handoff.Measured)
        {
            return;
        }

        var fromReturned = handoff.GrantedAt - handoff.ReleaseReturnedAt;
        if (fromReturned < 0)
        {
            GrantsBeforeReleaseReturned++;
            fromReturned = 0;
        }

        _fromReleaseReturned.Add(fromReturned);
        _fromReleaseCalled.Add(handoff.GrantedAt - handoff.ReleaseCalledAt);
    }

    /// <summary>One hand-off: a holder's release and the next grant, in either order.</summary>
    public sealed class Handoff(long releaseCalledAt)
    {
        public long ReleaseCalledAt { get; } = releaseCalledAt;

        public long ReleaseReturnedAt { get; set; }

        public long GrantedAt { get; set; }

        public bool Measured { get; set; }
    }
}
