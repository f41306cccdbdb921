using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Threading.Channels;

namespace LayerLock.Coordinator.Dashboard;

/// <summary>
/// One open page's stream (<c>GET /events</c>) between <see cref="DashboardFeed"/>, its only writer,
/// and the page's request, its only reader (<see cref="PumpAsync"/>).
/// <para>
/// Bounded per page whatever the browser does: at most <see cref="DashboardFeed.ViewerBuffer"/>
/// event frames and <see cref="MaxQueuedBytes"/> of them unsent, and one snapshot. Snapshots are
/// state, not history, so a page that is behind keeps only the newest one: a newer snapshot
/// replaces the one it has not been sent yet, and the frame itself is one array shared by every page.
/// The feed cuts a page off (<see cref="Cut"/>) when an event does not fit, or when the page has
/// written nothing for the page's stall timeout while frames wait (<see cref="Behind"/>).
/// </para>
/// </summary>
internal sealed class DashboardViewer
{
    /// <summary>Event bytes a page may have unsent before it is cut off (a snapshot pending is not counted).</summary>
    public const int MaxQueuedBytes = 1024 * 1024;

    /// <summary>Bytes written to the response between flushes; each flush that completes is progress.</summary>
    private const int FlushBytes = 16 * 1024;

    /// <summary>Stands in the channel for "the newest snapshot is due here" (compared by reference).</summary>
    private static readonly byte[] SnapshotDue = new byte[1];

    private readonly Channel<byte[]> _frames = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(DashboardFeed.ViewerBuffer)
    {
        SingleReader = true,
        SingleWriter = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly Func<bool> _signedIn;
    private byte[]? _backlog;
    private byte[]? _snapshot;
    private long _queuedBytes;
    private long _progressAt = Stopwatch.GetTimestamp();
    private int _waiting = 1;

    /// <param name="signedIn">Whether the page's sign-in still holds (its session is open and its cookie unexpired); null = a bearer token, checked once at the request's start.</param>
    public DashboardViewer(Func<bool>? signedIn = null) => _signedIn = signedIn ?? (static () => true);

    /// <summary>
    /// Cancelled when the feed cuts the page off: its request then ends and its connection is closed,
    /// which frees what Kestrel and the kernel hold for it. Not disposed: the feed may cancel it after
    /// the request has ended.
    /// </summary>
    public CancellationTokenSource Cut { get; } = new();

    /// <summary>Whether the page's sign-in still holds (checked by the feed every tick).</summary>
    public bool SignedIn => _signedIn();

    /// <summary>
    /// Queues what a page gets first: the backlog (at most <see cref="DashboardFeed.EventBacklog"/>
    /// events, not counted against <see cref="MaxQueuedBytes"/>) and the snapshot.
    /// </summary>
    public bool TryStart(byte[] backlog, byte[] snapshot)
    {
        _backlog = backlog;
        return _frames.Writer.TryWrite(backlog) && TrySnapshot(snapshot);
    }

    /// <summary>Queues an event frame; false when the page is <see cref="DashboardFeed.ViewerBuffer"/> frames or <see cref="MaxQueuedBytes"/> behind.</summary>
    public bool TryEvent(byte[] frame)
    {
        if (Interlocked.Add(ref _queuedBytes, frame.Length) > MaxQueuedBytes)
        {
            return false;
        }

        return _frames.Writer.TryWrite(frame);
    }

    /// <summary>Makes <paramref name="frame"/> the snapshot the page gets next, replacing one not sent yet; false when no place is left to say so.</summary>
    public bool TrySnapshot(byte[] frame) =>
        Interlocked.Exchange(ref _snapshot, frame) is not null || _frames.Writer.TryWrite(SnapshotDue);

    /// <summary>How long the page has written nothing while frames wait for it; zero while it waits for frames.</summary>
    public TimeSpan Behind(long now) =>
        Volatile.Read(ref _waiting) == 1 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(Volatile.Read(ref _progressAt), now);

    /// <summary>Ends the page's stream: no more frames, and its request is cancelled.</summary>
    public void Close()
    {
        _frames.Writer.TryComplete();
        _ = Cut.CancelAsync();
    }

    /// <summary>Ends the stream quietly (the Coordinator stops): the request ends after what is queued.</summary>
    public void Complete() => _frames.Writer.TryComplete();

    /// <summary>
    /// Writes the page's frames to <paramref name="body"/> until the feed ends the stream or
    /// <paramref name="cancellationToken"/> is cancelled; flushes at least every 16 KiB, so a large
    /// snapshot to a slow page shows as progress and not as a stall.
    /// </summary>
    public async Task PumpAsync(PipeWriter body, CancellationToken cancellationToken)
    {
        while (true)
        {
            Volatile.Write(ref _waiting, 1);
            if (!await _frames.Reader.WaitToReadAsync(cancellationToken))
            {
                return; // the stream ended with nothing left for the page: not behind
            }

            Volatile.Write(ref _progressAt, Stopwatch.GetTimestamp());
            Volatile.Write(ref _waiting, 0);

            var unflushed = 0;
            while (_frames.Reader.TryRead(out var next))
            {
                var isEvent = !ReferenceEquals(next, SnapshotDue);
                if ((isEvent ? next : Interlocked.Exchange(ref _snapshot, null)) is not { } frame)
                {
                    continue; // cannot happen: each SnapshotDue follows a snapshot set
                }

                for (var offset = 0; offset < frame.Length;)
                {
                    var length = Math.Min(FlushBytes - unflushed, frame.Length - offset);
                    body.Write(frame.AsSpan(offset, length));
                    offset += length;
                    unflushed += length;
                    if (unflushed >= FlushBytes)
                    {
                        if (!await FlushAsync(body, cancellationToken))
                        {
                            return;
                        }

                        unflushed = 0;
                    }
                }

                if (isEvent && !ReferenceEquals(next, _backlog))
                {
                    Interlocked.Add(ref _queuedBytes, -frame.Length);
                }
            }

            if (unflushed > 0 && !await FlushAsync(body, cancellationToken))
            {
                return;
            }
        }
    }

    /// <returns>False when the response can take no more (the connection is gone).</returns>
    private async Task<bool> FlushAsync(PipeWriter body, CancellationToken cancellationToken)
    {
        var flushed = await body.FlushAsync(cancellationToken);
        cancellationToken.ThrowIfCancellationRequested();
        Volatile.Write(ref _progressAt, Stopwatch.GetTimestamp());
        return !flushed.IsCompleted;
    }
}
