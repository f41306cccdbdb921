using System.Diagnostics;

namespace LayerLock.Actors.TestKit;

/// <summary>Time-boxed blocks and the probe's own actor.</summary>
public sealed partial class TestProbe
{
    /// <summary>
    /// Runs <paramref name="block"/> and checks it finished within <paramref name="max"/>;
    /// expectations inside default to the time left, not <see cref="DefaultTimeout"/>.
    /// </summary>
    public Task WithinAsync(TimeSpan max, Func<Task> block) => WithinAsync(TimeSpan.Zero, max, block);

    /// <summary>As <see cref="WithinAsync(TimeSpan, Func{Task})"/>, and checks it took at least <paramref name="min"/>.</summary>
    public async Task WithinAsync(TimeSpan min, TimeSpan max, Func<Task> block)
    {
        ArgumentNullException.ThrowIfNull(block);
        if (min > max)
        {
            throw new ArgumentOutOfRangeException(nameof(min), $"min {Ms(min)} is above max {Ms(max)}");
        }

        var outer = Deadline.Value;
        var deadline = System.TimeProvider.GetUtcNow() + max;
        Deadline.Value = outer is { } o && o < deadline ? o : deadline;
        var stopwatch = Stopwatch.StartNew();
        try
        {
            await block().ConfigureAwait(false);
        }
        finally
        {
            Deadline.Value = outer;
        }

        var took = stopwatch.Elapsed;
        if (took > max)
        {
            throw new ExpectationFailedException($"the block took {Ms(took)}, expected at most {Ms(max)}");
        }

        if (took < min)
        {
            throw new ExpectationFailedException($"the block took {Ms(took)}, expected at least {Ms(min)}");
        }
    }

    private sealed class ProbeActor(System.Threading.Channels.ChannelWriter<Received> received) : IActor
    {
        public Task ReceiveAsync(IContext context)
        {
            switch (context.Message)
            {
                case Started or Stopped:
                    break;
                case WatchCommand watch:
                    context.Watch(watch.Target);
                    break;
                case UnwatchCommand unwatch:
                    context.Unwatch(unwatch.Target);
                    break;
                default:
                    received.TryWrite(new Received(context.Message, context.Sender));
                    break;
            }

            return Task.CompletedTask;
        }

        internal sealed record WatchCommand(ActorRef Target);

        internal sealed record UnwatchCommand(ActorRef Target);
    }
}
