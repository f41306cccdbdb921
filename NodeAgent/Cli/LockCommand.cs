using LayerLock.Actors.Configuration;
using LayerLock.NodeAgent.Coordination;

namespace LayerLock.NodeAgent.Cli;

/// <summary>
/// <c>NodeAgent lock KEY</c>: takes one lock over a session, as an agent would, and holds it until
/// standard input closes or <c>--hold-ms</c> passes, then releases it. One line per event on
/// standard output (queued, granted, released, lost, not-acquired), for operators and for
/// multi-process tests.
/// </summary>
internal static class LockCommand
{
    public static async Task<int> RunAsync(string key, IConfiguration configuration, ILogger logger, CancellationToken interrupted)
    {
        var agent = configuration.GetSection("layerlock:agent");
        var node = agent["node"] is { Length: > 0 } n ? n : throw new FormatException("--node (or NODE_ID) is required");
        var coordinator = Uri.TryCreate(agent["coordinator"], UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new FormatException($"layerlock.agent.coordinator = '{agent["coordinator"]}' must be an http:// or https:// URL");
        var wait = agent.GetDuration("lock:wait", TimeSpan.FromMinutes(10));
        var hold = configuration["hold-ms"] is { } holdText ? TimeSpan.FromMilliseconds(long.Parse(holdText, System.Globalization.CultureInfo.InvariantCulture)) : Timeout.InfiniteTimeSpan;
        var failWith = configuration["fail"];
        var options = new CoordinatorClientOptions(
            coordinator,
            node,
            agent.GetDuration("reconnect:initial", TimeSpan.FromMilliseconds(200)),
            agent.GetDuration("reconnect:max", TimeSpan.FromSeconds(10)),
            double.Parse(agent["reconnect:jitter"] ?? "0.2", System.Globalization.CultureInfo.InvariantCulture),
            agent.GetDuration("keepalive:interval", TimeSpan.FromSeconds(1)),
            agent.GetDuration("keepalive:timeout", TimeSpan.FromSeconds(2)));

        await using var client = new CoordinatorClient(options, logger);
        client.Start();
        LockLease lease;
        try
        {
            lease = await client.AcquireAsync(key, wait, new QueuedLines(), interrupted);
        }
        catch (LockNotAcquiredException notAcquired)
        {
            Say($"not-acquired reason={notAcquired.Reason} holder={notAcquired.Holder ?? "none"}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            Say("not-acquired reason=interrupted holder=none");
            return 1;
        }

        Say($"granted token={lease.Token}");
        var stdinClosed = Task.Run(() =>
        {
            while (Console.In.ReadLine() is not null)
            {
            }
        });
        var lost = Task.Delay(Timeout.Infinite, lease.Lost).ContinueWith(_ => { }, TaskScheduler.Default);
        var stop = Task.Delay(Timeout.Infinite, interrupted).ContinueWith(_ => { }, TaskScheduler.Default);
        var finished = await Task.WhenAny(stdinClosed, Task.Delay(hold), lost, stop);
        if (finished == lost)
        {
            Say($"lost reason={lease.LostReason}");
            return 1;
        }

        var success = failWith is null && finished != stop;
        var error = failWith ?? (finished == stop ? "interrupted" : null);
        using var releaseTimeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var next = await client.ReleaseAsync(lease, success, error, releaseTimeout.Token);
            Say($"released token={lease.Token} success={success.ToString().ToLowerInvariant()} next={next ?? "none"}");
            return 0;
        }
        catch (LockRefusedException refused)
        {
            Say($"lost reason={refused.Message}");
            return 1;
        }
    }

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }

    // Reported on the session's receive loop, so queue lines come out in order with the rest.
    private sealed class QueuedLines : IProgress<LockQueuedProgress>
    {
        public void Report(LockQueuedProgress value) => Say($"queued position={value.Position} holder={value.Holder ?? "none"}");
    }
}
