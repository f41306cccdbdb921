using System.Diagnostics;
using System.Runtime.InteropServices;

namespace LayerLock.LoadDriver.Systems;

/// <summary>
/// Short delays that keep their length. <see cref="Task.Delay(TimeSpan, CancellationToken)"/>
/// runs on .NET's timer queue, whose clock is the kernel's coarse tick: on this machine a 1 ms
/// delay takes 4 ms (p50), which would make a "1 ms" Redis retry a 4 ms one. One background thread
/// sleeps with <c>usleep</c> (≈70 µs late on Linux) until the earliest due waiter and completes it.
/// </summary>
internal sealed partial class Pacer
{
    private static readonly long MaxSleepTicks = Stopwatch.Frequency / 2000; // 500 µs: a later registration never waits long for its turn.
    private readonly Lock _gate = new();
    private readonly List<(long Due, TaskCompletionSource Done)> _waiting = [];
    private readonly AutoResetEvent _work = new(false);
    private Thread? _thread;

    public static Pacer Shared { get; } = new();

    /// <summary>Completes after <paramref name="delay"/> (at once when it is zero).</summary>
    public Task DelayAsync(TimeSpan delay, CancellationToken cancellation)
    {
        if (delay <= TimeSpan.Zero)
        {
            return Task.CompletedTask;
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var due = Stopwatch.GetTimestamp() + (long)(delay.TotalSeconds * Stopwatch.Frequency);
        lock (_gate)
        {
            _waiting.Add((due, done));
            if (_thread is null)
            {
                _thread = new Thread(Run) { IsBackground = true, Name = "pacer" };
                _thread.Start();
            }
        }

        _work.Set();
        return cancellation.CanBeCanceled ? done.Task.WaitAsync(cancellation) : done.Task;
    }

    private void Run()
    {
        var due = new List<TaskCompletionSource>();
        while (true)
        {
            var now = Stopwatch.GetTimestamp();
            var next = long.MaxValue;
            lock (_gate)
            {
                for (var i = _waiting.Count - 1; i >= 0; i--)
                {
                    var (at, done) = _waiting[i];
                    if (at <= now)
                    {
                        due.Add(done);
                        _waiting.RemoveAt(i);
                    }
                    else
                    {
                        next = Math.Min(next, at);
                    }
                }
            }

            foreach (var done in due)
            {
                done.TrySetResult();
            }

            due.Clear();
            if (next == long.MaxValue)
            {
                _work.WaitOne();
                continue;
            }

            var sleepTicks = Math.Min(next - Stopwatch.GetTimestamp(), MaxSleepTicks);
            if (sleepTicks > 0)
            {
                Sleep(sleepTicks);
            }
        }
    }

    private static void Sleep(long ticks)
    {
        var micros = (uint)Math.Max(1, ticks * 1_000_000 / Stopwatch.Frequency);
        if (OperatingSystem.IsLinux())
        {
            _ = USleep(micros);
        }
        else
        {
            Thread.Sleep(TimeSpan.FromMicroseconds(micros));
        }
    }

    [LibraryImport("libc", EntryPoint = "usleep")]
    private static partial int USleep(uint microseconds);
}
