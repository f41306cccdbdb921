using System.Buffers;
using System.Diagnostics;
using System.IO.Pipelines;
using System.Text;
using LayerLock.Coordinator.Dashboard;
using Xunit;

namespace LayerLock.Specs.Http;

/// <summary>
/// One page's stream between the feed and its request (issue 13, part 2): what a page that is
/// behind still costs the Coordinator. Driven directly, with a <see cref="Pipe"/> standing in for
/// the response, so "behind" is exact and no clock is waited on.
/// </summary>
public sealed class DashboardViewerSpecs
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_page_behind_should_be_sent_only_the_newest_snapshot_and_every_event_in_order()
    {
        var viewer = new DashboardViewer();
        Assert.True(viewer.TryStart(Bytes("backlog;"), Bytes("snapshot-0;")));
        for (var i = 1; i <= 100; i++)
        {
            Assert.True(viewer.TryEvent(Bytes($"event-{i};")));
            Assert.True(viewer.TrySnapshot(Bytes($"snapshot-{i};")));
        }

        viewer.Complete();
        var written = await PumpAllAsync(viewer);

        // One snapshot, the newest, where the first one was due; then all 100 events, in order.
        Assert.Equal("backlog;snapshot-100;" + string.Concat(Enumerable.Range(1, 100).Select(i => $"event-{i};")), written);
    }

    [Fact]
    public void A_page_should_take_at_most_ViewerBuffer_event_frames_or_MaxQueuedBytes_unsent()
    {
        var counted = new DashboardViewer();
        Assert.True(counted.TryStart(Bytes("backlog"), Bytes("snapshot")));
        var taken = 0;
        while (counted.TryEvent(Bytes("e")))
        {
            taken++;
            Assert.True(taken <= DashboardFeed.ViewerBuffer, "never full");
        }

        // The backlog and the snapshot's place take two of the channel's frames.
        Assert.Equal(DashboardFeed.ViewerBuffer - 2, taken);

        // Few frames but large ones: refused once the unsent bytes pass MaxQueuedBytes; a snapshot
        // still replaces the pending one (it is not counted, and there is one at most).
        var large = new DashboardViewer();
        Assert.True(large.TryStart(Bytes("backlog"), Bytes("snapshot")));
        var frame = new byte[64 * 1024];
        var frames = 0;
        while (large.TryEvent(frame))
        {
            frames++;
            Assert.True(frames <= DashboardFeed.ViewerBuffer, "never full");
        }

        Assert.Equal(DashboardViewer.MaxQueuedBytes / frame.Length, frames);
        Assert.True(large.TrySnapshot(new byte[4 * 1024 * 1024]));
    }

    [Fact]
    public async Task A_page_that_takes_nothing_while_frames_wait_should_be_behind_and_one_that_waits_for_frames_should_not()
    {
        // A response that accepts 1 KiB and is then not read: the page's request blocks in a flush.
        var response = new Pipe(new PipeOptions(pauseWriterThreshold: 1024, resumeWriterThreshold: 512));
        var viewer = new DashboardViewer();
        using var stop = new CancellationTokenSource(Patience);
        var pump = viewer.PumpAsync(response.Writer, stop.Token);

        // Waiting for frames is not being behind, however long.
        var later = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 3600;
        Assert.Equal(TimeSpan.Zero, viewer.Behind(later));

        Assert.True(viewer.TryStart(Bytes("backlog"), new byte[256 * 1024]));

        // The snapshot's first flush reaches the response, which takes none of it: the page is stuck
        // in it (the backlog alone may come in a flush of its own, after which the page waits again).
        var first = await response.Reader.ReadAsync(stop.Token);
        while (first.Buffer.Length < 1024)
        {
            response.Reader.AdvanceTo(first.Buffer.Start, first.Buffer.End);
            first = await response.Reader.ReadAsync(stop.Token);
        }

        response.Reader.AdvanceTo(first.Buffer.Start, first.Buffer.End);
        Assert.True(viewer.Behind(Stopwatch.GetTimestamp() + Stopwatch.Frequency * 60) >= TimeSpan.FromSeconds(59));
        Assert.False(pump.IsCompleted);

        // The browser reads everything: the page catches up, and once its stream ends it is not behind.
        var read = Task.Run(async () =>
        {
            long total = 0;
            while (true)
            {
                var result = await response.Reader.ReadAsync(stop.Token);
                total += result.Buffer.Length;
                response.Reader.AdvanceTo(result.Buffer.End);
                if (result.IsCompleted)
                {
                    return total;
                }
            }
        });
        viewer.Complete();
        await pump.WaitAsync(Patience);
        Assert.Equal(TimeSpan.Zero, viewer.Behind(later));
        await response.Writer.CompleteAsync();
        Assert.Equal("backlog".Length + 256 * 1024, await read.WaitAsync(Patience));
    }

    private static byte[] Bytes(string text) => Encoding.UTF8.GetBytes(text);

    private static async Task<string> PumpAllAsync(DashboardViewer viewer)
    {
        var response = new Pipe();
        using var stop = new CancellationTokenSource(Patience);
        await viewer.PumpAsync(response.Writer, stop.Token);
        await response.Writer.CompleteAsync();
        var result = await response.Reader.ReadAsync(stop.Token);
        while (!result.IsCompleted)
        {
            response.Reader.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            result = await response.Reader.ReadAsync(stop.Token);
        }

        return Encoding.UTF8.GetString(result.Buffer.ToArray());
    }
}
