using LayerLock.NodeAgent.Coordination;
using LayerLock.NodeAgent.Hosting;

namespace LayerLock.NodeAgent.Cli;

/// <summary>
/// <c>NodeAgent lock KEY</c>: takes one lock over the Akka.Remote agent link, as an agent does, and holds it until
/// standard input closes or <c>--hold-ms</c> passes, then releases it. One line per event on
/// standard output (queued, granted, released, lost, not-acquired), for operators and for
/// multi-process tests.
/// </summary>
internal static class LockCommand
{
    /// <summary>How long the verb tries to open its first session before it gives up: 15 s.</summary>
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(15);

    public static async Task<int> RunAsync(string key, IConfiguration configuration, AgentSettings settings, ILogger logger, CancellationToken interrupted)
    {
        var hold = configuration["hold-ms"] switch
        {
            null => Timeout.InfiniteTimeSpan,
            var text when long.TryParse(text, out var ms) && ms >= 0 => TimeSpan.FromMilliseconds(ms),
            var text => throw new FormatException($"--hold-ms '{text}' must be a whole number of milliseconds, 0 or more"),
        };
        var failWith = configuration["fail"];

        await using var client = CoordinatorLink.Create(settings.Link, logger);
        client.Start();

        // A Coordinator that cannot be reached is said at once, not after the whole lock wait.
        using (var connecting = CancellationTokenSource.CreateLinkedTokenSource(interrupted))
        {
            connecting.CancelAfter(ConnectTimeout);
            try
            {
                await client.WaitConnectedAsync(connecting.Token);
            }
            catch (OperationCanceledException) when (!interrupted.IsCancellationRequested)
            {
                Say("not-acquired reason=unreachable holder=none");
                Console.Error.WriteLine($"NodeAgent lock: cannot reach the coordinator at {settings.Coordinator} within {ConnectTimeout.TotalSeconds:0} s; is it running, and is --coordinator right?");
                return 1;
            }
            catch (OperationCanceledException)
            {
                Say("not-acquired reason=interrupted holder=none");
                return 1;
            }
        }

        LockLease lease;
        try
        {
            var queued = new InlineProgress<LockQueuedProgress>(q => Say($"queued position={q.Position} holder={q.Holder ?? "none"}"));
            lease = await client.AcquireAsync(key, settings.LockWait, queued, interrupted);
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
            var released = await client.ReleaseAsync(lease, success, error, releaseTimeout.Token);
            Say(released.ViaFailPath
                ? $"released token={lease.Token} via=fail-path (the link was lost before the answer; the new session did not claim it)"
                : $"released token={lease.Token} success={success.ToString().ToLowerInvariant()} next={released.Next ?? "none"}");
            return 0;
        }
        catch (LockRefusedException refused)
        {
            Say($"lost reason={refused.Message}");
            return 1;
        }
        catch (OperationCanceledException)
        {
            // Never reported as released: the Coordinator neither answered nor was reached again.
            Say($"unconfirmed token={lease.Token} reason=no answer from the coordinator within 30 s; the lock ends when the coordinator sees this process gone");
            return 1;
        }
    }

    private static void Say(string line)
    {
        Console.Out.WriteLine(line);
        Console.Out.Flush();
    }
}
