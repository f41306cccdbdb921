using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using LayerLock.Coordinator.Dashboard;
using LayerLock.Specs.Locks.Contract;
using Xunit;

namespace LayerLock.Specs.Http;

/// <summary>
/// The live page's event stream over real HTTP (issue 13, part 2): that it is bounded in the
/// Coordinator whatever the browser does, and what a page is sent. Who may read it:
/// <see cref="DashboardLoginSpecs"/>.
/// </summary>
public sealed class DashboardStreamSpecs
{
    private const string Key = "sha256:1414141414141414141414141414141414141414141414141414141414141414";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task A_page_that_stops_reading_should_be_cut_off_while_grants_and_other_pages_go_on_and_the_backlog_should_stay_bounded()
    {
        await using var coordinator = await RunningCoordinator.StartAsync();
        using var http = new HttpClient { BaseAddress = coordinator.BaseAddress };

        // A browser that stopped reading: a tiny receive buffer, and nothing read after the request.
        using var stalled = await DashboardHttp.OpenUnreadPageAsync(coordinator.BaseAddress, receiveBuffer: 4096);

        // A page that reads.
        await using var reading = await DashboardEventStream.OpenAsync(http);
        var released = new System.Collections.Concurrent.ConcurrentDictionary<long, TaskCompletionSource>();
        TaskCompletionSource Released(long token) => released.GetOrAdd(token, _ => new(TaskCreationOptions.RunContinuationsAsynchronously));
        var readAll = Task.Run(async () =>
        {
            while (await reading.NextAsync() is { } frame)
            {
                if (frame.Event == "lock" && JsonDocument.Parse(frame.Data).RootElement is var e && e.GetProperty("name").GetString() == "lock.released")
                {
                    Released(e.GetProperty("token").GetInt64()).TrySetResult();
                }
            }
        });

        // Lock cycles until the Coordinator cuts the stalled page off (bounded: 20,000 cycles). The
        // kernel takes up to tcp_wmem's max (4 MiB here) into the socket before the Coordinator
        // sees the page fall behind, so the cycles use a long key: about 1.5 KiB of frames each.
        var key = "layer/" + new string('k', 500);
        var cycles = 0;
        while (cycles % 100 != 0 || !coordinator.LogLines.Any(l => l.Contains("dashboard.viewer-dropped", StringComparison.Ordinal)))
        {
            Assert.True(cycles < 20_000, "the stalled page was never cut off");
            var token = await DashboardHttp.LockAsync(http, key, "node-a");
            await DashboardHttp.UnlockAsync(http, key, "node-a", token);
            cycles++;
        }

        // The stalled page's connection is closed (not only its channel).
        await AssertClosedAsync(stalled);

        // Grants went on: one more cycle after the cut is seen by the reading page.
        var last = await DashboardHttp.LockAsync(http, key, "node-a");
        await DashboardHttp.UnlockAsync(http, key, "node-a", last);
        await Released(last).Task.WaitAsync(Patience);
        Assert.True(cycles > DashboardFeed.EventBacklog, $"only {cycles} cycles");

        // A page that opens now gets only the last EventBacklog events.
        await using var late = await DashboardEventStream.OpenAsync(http);
        var backlog = await late.NextAsync();
        Assert.Equal("backlog", backlog!.Event);
        var events = JsonDocument.Parse(backlog.Data).RootElement;
        Assert.Equal(DashboardFeed.EventBacklog, events.GetArrayLength());
        Assert.Equal(last, events[events.GetArrayLength() - 1].GetProperty("token").GetInt64());
    }

    [Fact]
    public async Task Pages_beyond_the_limit_should_get_503_and_a_page_that_closes_should_free_its_place()
    {
        await using var coordinator = await RunningCoordinator.StartAsync();
        using var http = new HttpClient { BaseAddress = coordinator.BaseAddress };
        var open = new List<DashboardEventStream>();
        try
        {
            for (var i = 0; i < DashboardFeed.MaxViewers; i++)
            {
                open.Add(await DashboardEventStream.OpenAsync(http));
            }

            using var refused = await http.GetAsync("/events", HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
            Assert.Contains($"{DashboardFeed.MaxViewers} pages are open already", await refused.Content.ReadAsStringAsync());

            await open[0].DisposeAsync();
            open.RemoveAt(0);
            await WaitUntilAsync(async () =>
            {
                using var again = await http.GetAsync("/events", HttpCompletionOption.ResponseHeadersRead);
                return again.StatusCode == HttpStatusCode.OK;
            });
        }
        finally
        {
            foreach (var stream in open)
            {
                await stream.DisposeAsync();
            }
        }
    }

    [Fact]
    public async Task A_page_that_takes_nothing_while_snapshots_wait_should_be_cut_off_after_the_stall_timeout_though_far_fewer_than_ViewerBuffer_frames_wait()
    {
        await using var coordinator = await RunningCoordinator.StartAsync("layerlock.coordinator.page.stall-timeout = 2s");
        using var http = new HttpClient { BaseAddress = coordinator.BaseAddress };

        // Large snapshots (MaxLayersShown keys of 500 bytes: about 300 KB each), so the kernel's
        // socket buffer (up to tcp_wmem's max, 4 MiB here) fills after a dozen or so.
        for (var i = 0; i < DashboardFeed.MaxLayersShown; i++)
        {
            await DashboardHttp.LockAsync(http, $"layer/{i:D3}/" + new string('k', 490), "node-a");
        }

        using var stalled = await DashboardHttp.OpenUnreadPageAsync(coordinator.BaseAddress, receiveBuffer: 4096);

        // A change every 300 ms, so a snapshot is due every tick: two events each, far below
        // ViewerBuffer frames in the 60 s this waits (bounded: 200 cycles).
        var cycles = 0;
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(300));
        while (!coordinator.LogLines.Any(l => l.Contains("dashboard.viewer-dropped", StringComparison.Ordinal)))
        {
            Assert.True(cycles < 200, "the stalled page was never cut off");
            var token = await DashboardHttp.LockAsync(http, Key, "node-b");
            await DashboardHttp.UnlockAsync(http, Key, "node-b", token);
            cycles++;
            await pace.WaitForNextTickAsync();
        }

        Assert.Contains(coordinator.LogLines, l => l.StartsWith("dashboard.viewer-dropped \"stalled\"", StringComparison.Ordinal));
        Assert.True(2 * cycles < DashboardFeed.ViewerBuffer, $"{cycles} cycles");
        await AssertClosedAsync(stalled);
    }

    [Fact]
    public async Task A_page_that_does_not_read_should_have_little_queued_for_it_in_the_kernel_so_what_it_reads_next_is_recent()
    {
        await using var coordinator = await RunningCoordinator.StartAsync();
        using var http = new HttpClient { BaseAddress = coordinator.BaseAddress };

        // Snapshots of about 170 KB (300 keys of 500 bytes), rebuilt every 250 ms while keys change.
        for (var i = 0; i < 300; i++)
        {
            await DashboardHttp.LockAsync(http, $"layer/{i:D3}/" + new string('k', 490), "node-a");
        }

        using var stalled = await DashboardHttp.OpenUnreadPageAsync(coordinator.BaseAddress);

        // 8 s of changes: about 5 MB of snapshots for a page that reads nothing, well within the
        // stall timeout (20 s). Without the cap the kernel had taken 1.8 MB for it by then.
        var changing = System.Diagnostics.Stopwatch.StartNew();
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(100));
        while (changing.Elapsed < TimeSpan.FromSeconds(8))
        {
            var token = await DashboardHttp.LockAsync(http, Key, "node-b");
            await DashboardHttp.UnlockAsync(http, Key, "node-b", token);
            await pace.WaitForNextTickAsync();
        }

        // What the kernel holds for it unsent is capped (TCP_NOTSENT_LOWAT, 128 KiB, plus one
        // write); without the cap the send buffer grows toward tcp_wmem's max, 4 MiB, of old
        // snapshots. Send-Q of the Coordinator's end, from ss(8) (iproute2).
        var client = ((IPEndPoint)stalled.LocalEndPoint!).Port;
        var queued = await SendQueueAsync(coordinator.BaseAddress.Port, client);
        Assert.True(queued < 512 * 1024, $"{queued} bytes queued in the kernel for a page that does not read");
        Assert.DoesNotContain(coordinator.LogLines, l => l.Contains("dashboard.viewer-dropped", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Pages_connecting_in_a_storm_should_share_snapshots_and_the_open_page_should_keep_getting_them()
    {
        await using var coordinator = await RunningCoordinator.StartAsync();

        // A page that goes closes its connection at once (not after SocketsHttpHandler's 2 s drain).
        using var http = new HttpClient(new SocketsHttpHandler { MaxResponseDrainSize = 0 }) { BaseAddress = coordinator.BaseAddress };
        await using var open = await DashboardEventStream.OpenAsync(http);
        Assert.Equal("backlog", (await open.NextAsync())?.Event);
        Assert.Equal("snapshot", (await open.NextAsync())?.Event);
        var seen = 0;
        var reading = Task.Run(async () =>
        {
            while (await open.NextAsync() is { } frame)
            {
                if (frame.Event == "snapshot")
                {
                    Interlocked.Increment(ref seen);
                }
            }
        });

        // For 4 s (at most 1,000 pages), a change and a new page, again and again: each page reads its
        // backlog and snapshot, and goes.
        var storm = System.Diagnostics.Stopwatch.StartNew();
        var built = new HashSet<string>(StringComparer.Ordinal);
        var pages = 0;
        while (storm.Elapsed < TimeSpan.FromSeconds(4) && pages < 1_000)
        {
            var token = await DashboardHttp.LockAsync(http, Key, "node-a");
            await DashboardHttp.UnlockAsync(http, Key, "node-a", token);
            await using var page = await DashboardEventStream.OpenAsync(http);
            Assert.Equal("backlog", (await page.NextAsync())?.Event);
            var snapshot = await page.NextAsync();
            Assert.Equal("snapshot", snapshot?.Event);
            built.Add(JsonDocument.Parse(snapshot!.Data).RootElement.GetProperty("at").GetString()!);
            pages++;
        }

        var elapsed = storm.Elapsed;
        var seenInStorm = Volatile.Read(ref seen);

        // At most one snapshot built per 250 ms for the new pages (plus the one at either end), not one each…
        Assert.True(pages > 20, $"only {pages} pages in {elapsed}");
        Assert.True(built.Count <= elapsed / TimeSpan.FromMilliseconds(250) + 2, $"{built.Count} snapshots built for {pages} pages in {elapsed}");

        // …and the page already open got fresh ones all along (one per 250 ms while things change).
        Assert.True(seenInStorm >= 4, $"the open page got {seenInStorm} snapshots in {elapsed}");
        Assert.False(reading.IsFaulted, reading.Exception?.ToString());
    }

    [Fact]
    public async Task A_snapshot_should_list_contended_keys_first_at_most_MaxLayersShown_keys_and_MaxWaitersShown_waiters_and_count_them_all()
    {
        await using var coordinator = await RunningCoordinator.StartAsync();
        using var http = new HttpClient { BaseAddress = coordinator.BaseAddress };
        const int keys = DashboardFeed.MaxLayersShown + 10;
        for (var i = 0; i < keys; i++)
        {
            await DashboardHttp.LockAsync(http, $"layer/{i:D4}", "node-a");
        }

        // A key that sorts last, with more waiters than a snapshot lists.
        const string contended = "zz/contended";
        const int waiters = DashboardFeed.MaxWaitersShown + 10;
        await DashboardHttp.LockAsync(http, contended, "node-a");
        var waiting = new List<Task<HttpResponseMessage>>();
        for (var i = 0; i < waiters; i++)
        {
            // One at a time, so the queue's order is known.
            waiting.Add(http.PostAsJsonAsync("/lock", new { key = contended, node = $"waiter-{i:D2}", wait_ms = 60_000 }));
            var queued = i + 1;
            await coordinator.Table.WaitUntilAsync(t => t.Get(contended)?.Waiters.Count == queued, Patience);
        }

        await using var stream = await DashboardEventStream.OpenAsync(http);
        var snapshot = await stream.NextAsync();
        while (snapshot?.Event != "snapshot")
        {
            snapshot = await stream.NextAsync();
        }

        var body = JsonDocument.Parse(snapshot.Data).RootElement;
        Assert.Equal(keys + 1, body.GetProperty("layers_total").GetInt32());
        var layers = body.GetProperty("layers").EnumerateArray().ToList();
        var listed = layers.Select(l => l.GetProperty("key").GetString()).ToList();
        Assert.Equal(DashboardFeed.MaxLayersShown, listed.Count);
        Assert.Equal([contended, .. Enumerable.Range(0, DashboardFeed.MaxLayersShown - 1).Select(i => $"layer/{i:D4}")], listed);
        Assert.Equal(waiters, layers[0].GetProperty("waiters_total").GetInt32());
        Assert.Equal(
            [.. Enumerable.Range(0, DashboardFeed.MaxWaitersShown).Select(i => $"waiter-{i:D2}")],
            layers[0].GetProperty("waiters").EnumerateArray().Select(w => w.GetProperty("node").GetString()).ToList());
        Assert.Equal(waiters, body.GetProperty("totals").GetProperty("waiting").GetInt32());

        // Done: the waiters give up (the Coordinator stops with them queued otherwise).
        http.CancelPendingRequests();
        await Task.WhenAll(waiting.Select(w => w.ContinueWith(_ => { }, TaskScheduler.Default)));
    }

    /// <summary>The Send-Q (bytes not yet acknowledged, sent or not) of the server's end of a loopback TCP connection, from <c>ss -tnH</c>.</summary>
    private static async Task<long> SendQueueAsync(int serverPort, int clientPort)
    {
        using var ss = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("ss", ["-tnH", "state", "established", $"( sport = :{serverPort} and dport = :{clientPort} )"])
        {
            RedirectStandardOutput = true,
        })!;
        var output = await ss.StandardOutput.ReadToEndAsync();
        await ss.WaitForExitAsync();
        var columns = output.Split([' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);

        // Recv-Q Send-Q Local:Port Peer:Port (the state column is left out when one state is asked for).
        Assert.True(columns.Length >= 4 && columns[3].EndsWith($":{clientPort}", StringComparison.Ordinal), $"ss: {output}");
        return long.Parse(columns[1], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Reading what the kernel still holds for a stalled page ends in end-of-stream or a reset, not in a wait.</summary>
    private static async Task AssertClosedAsync(Socket stalled)
    {
        using var closed = new CancellationTokenSource(Patience);
        var buffer = new byte[64 * 1024];
        try
        {
            while (await stalled.ReceiveAsync(buffer, SocketFlags.None, closed.Token) > 0)
            {
            }
        }
        catch (SocketException reset) when (reset.SocketErrorCode == SocketError.ConnectionReset)
        {
        }
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + Patience;
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "not within the patience");
            await Task.Delay(50);
        }
    }
}
