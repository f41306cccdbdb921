using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Event;
using LayerLock.Coordinator.Locks;

namespace LayerLock.Coordinator.Dashboard;

/// <summary>
/// The live page's feed (<c>/user/dashboard</c>): subscribed to the ActorSystem's
/// <see cref="EventStream"/> for <see cref="LockEvent"/>s, it keeps the last
/// <see cref="EventBacklog"/> of them and pushes Server-Sent Events frames to each open page
/// (<c>GET /events</c>): the backlog and a snapshot on connect, then each event, and a snapshot at
/// most every 250 ms while something changes and every 2 s regardless; a snapshot that takes T to
/// build is not built again for 50 T (tens of thousands of keys), so it costs at most 2 % of a core.
/// A page that connects gets the last snapshot built when it is younger than that gap; otherwise
/// the one built for it goes to every page, so pages connecting in a storm neither build more
/// snapshots nor starve the pages already open.
/// <para>
/// Bounded on both sides. The Coordinator holds at most <see cref="EventBacklog"/> events, at most
/// <see cref="MaxViewers"/> pages at once, and per page what <see cref="DashboardViewer"/> allows:
/// <see cref="ViewerBuffer"/> event frames or <see cref="DashboardViewer.MaxQueuedBytes"/> unsent,
/// and only the newest snapshot. A page beyond that, or one that has written nothing for the stall
/// timeout (<c>page.stall-timeout</c>, 20 s) while frames wait for it (a slow or vanished
/// browser), is cut off: its request ends and its connection is closed (which frees what the
/// kernel holds for it), and a live browser reconnects for a fresh snapshot. A page signed in with
/// the login form is cut off within a tick of its session ending (signed out, or the cookie
/// expired). A snapshot lists at most <see cref="MaxLayersShown"/> keys,
/// <see cref="MaxWaitersShown"/> waiters per key and <see cref="MaxNodesShown"/> nodes. Frames
/// are offered without waiting, so no page ever slows a lock actor or this feed; the lock actors
/// only publish to the event stream.
/// </para>
/// </summary>
internal sealed class DashboardFeed : ReceiveActor, IWithTimers
{
    public const string Name = "dashboard";

    /// <summary>Events kept for a page that connects (the issue asks for "the last few hundred").</summary>
    public const int EventBacklog = 300;

    /// <summary>Pages streaming at once; more get 503.</summary>
    public const int MaxViewers = 32;

    /// <summary>Event frames a page may be behind before its stream is closed.</summary>
    public const int ViewerBuffer = 512;

    /// <summary>How long a page may write nothing while frames wait for it (<c>page.stall-timeout</c>) by default.</summary>
    public static readonly TimeSpan DefaultStallTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Keys listed in a snapshot; the rest are counted (<see cref="DashboardSnapshotBody.LayersTotal"/>).</summary>
    public const int MaxLayersShown = 500;

    /// <summary>Waiters listed per key in a snapshot (the head of the queue first); the rest are counted.</summary>
    public const int MaxWaitersShown = 50;

    /// <summary>Agents listed in a snapshot; the rest are counted (<see cref="DashboardSnapshotBody.NodesTotal"/>).</summary>
    public const int MaxNodesShown = 500;

    private static readonly TimeSpan TickInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan MinSnapshotGap = TickInterval;

    /// <summary>A snapshot is built at most once per this many times its own build time (at most 2 % of a core).</summary>
    private const int SnapshotCostFactor = 50;
    private static readonly TimeSpan IdleRefresh = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan RateWindow = TimeSpan.FromSeconds(10);
    private const int HandoffWindow = 100;
    private const int PendingHandoffs = 1024;

    private readonly LockServices _services;
    private readonly bool _auth;
    private readonly TimeSpan _stallTimeout;
    private readonly DashboardLog _log;
    private readonly Queue<DashboardEventBody> _recent = new();
    private readonly List<DashboardViewer> _viewers = [];
    private readonly Dictionary<string, (string Next, long At)> _pendingHandoffs = new(StringComparer.Ordinal);
    private readonly Queue<double> _handoffs = new();
    private readonly Queue<(long At, long Grants)> _grantSamples = new();
    private double? _lastHandoff;
    private long _seq;
    private bool _dirty = true;
    private long _lastSnapshotAt;
    private TimeSpan _snapshotGap = MinSnapshotGap;
    private byte[]? _backlogFrame;
    private byte[]? _snapshotFrame;

    public DashboardFeed(LockServices services, bool auth, TimeSpan stallTimeout, DashboardLog log)
    {
        _services = services;
        _auth = auth;
        _stallTimeout = stallTimeout;
        _log = log;
        Receive<LockEvent>(OnEvent);
        Receive<Subscribe>(OnSubscribe);
        Receive<Unsubscribe>(unsubscribe => _viewers.Remove(unsubscribe.Viewer));
        Receive<Tick>(_ => OnTick());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    /// <param name="auth">Whether the Coordinator has a bearer token (the page then offers "Sign out").</param>
    /// <param name="stallTimeout">How long a page may write nothing while frames wait for it before it is cut off (<c>page.stall-timeout</c>).</param>
    public static Props Props(LockServices services, bool auth, TimeSpan stallTimeout, DashboardLog log) =>
        Akka.Actor.Props.Create(() => new DashboardFeed(services, auth, stallTimeout, log));

    /// <summary>Adds a page's stream; answered with <see cref="Subscribed"/>.</summary>
    public sealed record Subscribe(DashboardViewer Viewer);

    /// <summary>Whether the stream was added; <paramref name="Refusal"/> says why not.</summary>
    public sealed record Subscribed(string? Refusal);

    /// <summary>Removes a page's stream (its request ended).</summary>
    public sealed record Unsubscribe(DashboardViewer Viewer);

    private sealed class Tick
    {
        public static readonly Tick Instance = new();
    }

    protected override void PreStart()
    {
        Context.System.EventStream.Subscribe(Self, typeof(LockEvent));
        Timers.StartPeriodicTimer(nameof(Tick), Tick.Instance, TickInterval);
    }

    protected override void PostStop()
    {
        Context.System.EventStream.Unsubscribe(Self);
        foreach (var viewer in _viewers)
        {
            viewer.Complete();
        }

        _viewers.Clear();
    }

    private void OnEvent(LockEvent e)
    {
        MeasureHandoff(e);
        var body = new DashboardEventBody(++_seq, e.At, e.Name, e.Key, e.Node, e.Token, e.Detail, e.Next, e.Warning);
        _recent.Enqueue(body);
        if (_recent.Count > EventBacklog)
        {
            _recent.Dequeue();
        }

        _backlogFrame = null;
        _dirty = true;
        if (_viewers.Count > 0)
        {
            var frame = Frame("lock", body, DashboardJsonContext.Default.DashboardEventBody);
            for (var i = _viewers.Count - 1; i >= 0; i--)
            {
                if (!_viewers[i].TryEvent(frame))
                {
                    Drop(i, "behind");
                }
            }
        }
    }

    private void OnSubscribe(Subscribe subscribe)
    {
        if (_viewers.Count >= MaxViewers)
        {
            Sender.Tell(new Subscribed($"{MaxViewers} pages are open already"));
            return;
        }

        _backlogFrame ??= Frame<IReadOnlyList<DashboardEventBody>>("backlog", [.. _recent], DashboardJsonContext.Default.IReadOnlyListDashboardEventBody);

        // The last snapshot while a new one could not be built yet anyway; else a new one, for every page.
        if (_snapshotFrame is null || Stopwatch.GetElapsedTime(_lastSnapshotAt) >= _snapshotGap)
        {
            BroadcastSnapshot();
        }

        var viewer = subscribe.Viewer;
        if (viewer.TryStart(_backlogFrame, _snapshotFrame!))
        {
            _viewers.Add(viewer);
            Sender.Tell(new Subscribed(null));
        }
        else
        {
            viewer.Complete();
            Sender.Tell(new Subscribed("the page's stream was already used"));
        }
    }

    private void OnTick()
    {
        var now = Stopwatch.GetTimestamp();
        _grantSamples.Enqueue((now, _services.Metrics.Grants));
        while (_grantSamples.Count > 2 && Stopwatch.GetElapsedTime(_grantSamples.Peek().At, now) > RateWindow)
        {
            _grantSamples.Dequeue();
        }

        for (var i = _viewers.Count - 1; i >= 0; i--)
        {
            if (!_viewers[i].SignedIn)
            {
                Drop(i, "signed-out");
            }
            else if (_viewers[i].Behind(now) > _stallTimeout)
            {
                Drop(i, "stalled");
            }
        }

        var since = Stopwatch.GetElapsedTime(_lastSnapshotAt, now);
        if (_viewers.Count > 0 && since >= _snapshotGap && (_dirty || since >= IdleRefresh))
        {
            BroadcastSnapshot();
        }
        else if (_viewers.Count == 0 && since >= IdleRefresh)
        {
            _snapshotFrame = null; // no page open: keep nothing (a page that connects gets a new one anyway)
        }
    }

    /// <summary>Builds a snapshot, keeps it for pages that connect soon, and sends it to every open page.</summary>
    private void BroadcastSnapshot()
    {
        _dirty = false;
        _lastSnapshotAt = Stopwatch.GetTimestamp();
        var snapshot = DashboardSnapshot.Build(_services, _auth, GrantsPerSecond(), _lastHandoff, Percentile(0.5), Percentile(0.99));
        _snapshotFrame = Frame("snapshot", snapshot, DashboardJsonContext.Default.DashboardSnapshotBody);

        // Tens of thousands of keys make a snapshot cost milliseconds: then build them less often.
        var cost = Stopwatch.GetElapsedTime(_lastSnapshotAt);
        _snapshotGap = cost * SnapshotCostFactor > MinSnapshotGap ? cost * SnapshotCostFactor : MinSnapshotGap;
        for (var i = _viewers.Count - 1; i >= 0; i--)
        {
            if (!_viewers[i].TrySnapshot(_snapshotFrame))
            {
                Drop(i, "behind");
            }
        }
    }

    /// <summary>
    /// Cuts a page off. Closing its channel alone would leave the request blocked in a write to a
    /// socket nobody reads; the cut ends the request and closes the connection.
    /// </summary>
    private void Drop(int index, string reason)
    {
        _log.ViewerDropped(reason);
        _viewers[index].Close();
        _viewers.RemoveAt(index);
    }

    /// <summary>
    /// A release or fail-over that names a next node, then that node's grant on the same key (in
    /// the same turn of the key's actor, unless recovery holds it): the Coordinator's hand-off.
    /// </summary>
    private void MeasureHandoff(LockEvent e)
    {
        switch (e.Name)
        {
            case "lock.released" or "lock.failover":
                if (e.Next is not { } next)
                {
                    _pendingHandoffs.Remove(e.Key);
                    break;
                }

                if (_pendingHandoffs.Count >= PendingHandoffs)
                {
                    _pendingHandoffs.Clear(); // bounded: hand-offs never completed (the Coordinator stopping mid-way)
                }

                _pendingHandoffs[e.Key] = (next, e.Timestamp);
                break;
            case "lock.acquired" or "peer.granted" or "lock.deferred" or "lock.not-acquired" when _pendingHandoffs.TryGetValue(e.Key, out var pending) && pending.Next == e.Node:
                // Only the grant to the next in line is a hand-off; that node served by a peer
                // instead, held back by a rate limit, or leaving the queue ends the wait unmeasured.
                _pendingHandoffs.Remove(e.Key);
                if (e.Name == "lock.acquired")
                {
                    _lastHandoff = Stopwatch.GetElapsedTime(pending.At, e.Timestamp).TotalMilliseconds;
                    _handoffs.Enqueue(_lastHandoff.Value);
                    if (_handoffs.Count > HandoffWindow)
                    {
                        _handoffs.Dequeue();
                    }
                }

                break;
        }
    }

    private double? Percentile(double q)
    {
        if (_handoffs.Count == 0)
        {
            return null;
        }

        var sorted = _handoffs.Order().ToArray();
        return sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(q * sorted.Length) - 1)];
    }

    private double GrantsPerSecond()
    {
        if (_grantSamples.Count < 2)
        {
            return 0;
        }

        var (firstAt, firstGrants) = _grantSamples.Peek();
        var (lastAt, lastGrants) = _grantSamples.Last();
        var seconds = Stopwatch.GetElapsedTime(firstAt, lastAt).TotalSeconds;
        return seconds > 0 ? (lastGrants - firstGrants) / seconds : 0;
    }

    /// <summary>
    /// One Server-Sent Events frame, UTF-8, built once and shared by every page; System.Text.Json
    /// output has no raw line breaks, so one <c>data:</c> line carries it.
    /// </summary>
    private static byte[] Frame<T>(string eventName, T body, JsonTypeInfo<T> type)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write(Encoding.UTF8.GetBytes($"event: {eventName}\ndata: "));
        using (var json = new Utf8JsonWriter(buffer))
        {
            JsonSerializer.Serialize(json, body, type);
        }

        buffer.Write("\n\n"u8);
        return buffer.WrittenSpan.ToArray();
    }
}
