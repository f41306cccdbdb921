using System.Diagnostics;
using System.Threading.Channels;

namespace LayerLock.Actors.TestKit;

/// <summary>
/// An actor driven by a test: whatever is sent to <see cref="Ref"/> is queued, and the test
/// awaits it with the Expect methods. A failed expectation throws
/// <see cref="ExpectationFailedException"/> naming what arrived instead.
/// </summary>
/// <example>
/// <code>
/// var probe = new TestProbe(system);
/// manager.Tell(new AcquireLock("sha256:…"), probe.Ref);
/// var granted = await probe.ExpectMsgAsync&lt;LockGranted&gt;(g =&gt; g.Token &gt; 0);
/// </code>
/// </example>
public sealed partial class TestProbe
{
    private static readonly AsyncLocal<DateTimeOffset?> Deadline = new();
    private static long _probeIds;
    private readonly Channel<Received> _received = Channel.CreateUnbounded<Received>();

    /// <param name="system">The system the probe lives in, under <c>/system/testprobe-N</c>.</param>
    /// <param name="defaultTimeout">Used when an expectation gives none; 5 s when null.</param>
    public TestProbe(ActorSystem system, TimeSpan? defaultTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(system);
        System = system;
        DefaultTimeout = defaultTimeout ?? TimeSpan.FromSeconds(5);
        Ref = system.SpawnSystemActor(
            Props.FromProducer(() => new ProbeActor(_received.Writer)),
            $"testprobe-{Interlocked.Increment(ref _probeIds)}");
    }

    public ActorSystem System { get; }

    /// <summary>The probe's address; send to it, or pass it as a sender.</summary>
    public ActorRef Ref { get; }

    /// <summary>Timeout of an expectation that names none (capped by an enclosing <c>WithinAsync</c>).</summary>
    public TimeSpan DefaultTimeout { get; }

    /// <summary>The sender of the last message an expectation took.</summary>
    public ActorRef? LastSender { get; private set; }

    /// <summary>Sends <paramref name="message"/> to <paramref name="target"/> with this probe as sender.</summary>
    public void Send(ActorRef target, object message) => target.Tell(message, Ref);

    /// <summary>Answers the sender of the last message taken.</summary>
    public void Reply(object message) =>
        (LastSender ?? throw new InvalidOperationException("the probe has taken no message with a sender yet")).Tell(message, Ref);

    /// <summary>Watches <paramref name="target"/>; its <see cref="Terminated"/> arrives like any message.</summary>
    public void Watch(ActorRef target) => Ref.Tell(new ProbeActor.WatchCommand(target));

    public void Unwatch(ActorRef target) => Ref.Tell(new ProbeActor.UnwatchCommand(target));

    /// <summary>Takes the next message, whatever it is.</summary>
    public async Task<object> ReceiveOneAsync(TimeSpan? timeout = null)
    {
        var limit = RemainingOrDefault(timeout);
        var received = await TryReceiveAsync(limit).ConfigureAwait(false)
            ?? throw new ExpectationFailedException($"expected a message within {Ms(limit)} but none arrived");
        return received.Message;
    }

    /// <summary>
    /// Takes the next message and checks it is a <typeparamref name="T"/> matching
    /// <paramref name="predicate"/>.
    /// </summary>
    public async Task<T> ExpectMsgAsync<T>(Func<T, bool>? predicate = null, TimeSpan? timeout = null)
    {
        var limit = RemainingOrDefault(timeout);
        var received = await TryReceiveAsync(limit).ConfigureAwait(false)
            ?? throw new ExpectationFailedException(
                $"expected a {typeof(T).Name} within {Ms(limit)} but no message arrived");
        if (received.Message is not T typed)
        {
            throw new ExpectationFailedException(
                $"expected a {typeof(T).Name} but received {Describe(received)}");
        }

        if (predicate is not null && !predicate(typed))
        {
            throw new ExpectationFailedException(
                $"expected a {typeof(T).Name} matching the predicate but received {Describe(received)}");
        }

        return typed;
    }

    /// <summary>Takes the next message and checks it equals <paramref name="expected"/>.</summary>
    public Task<T> ExpectMsgAsync<T>(T expected, TimeSpan? timeout = null)
        where T : notnull =>
        ExpectMsgAsync<T>(m => EqualityComparer<T>.Default.Equals(m, expected), timeout);

    /// <summary>Checks that nothing arrives for <paramref name="duration"/>.</summary>
    public async Task ExpectNoMsgAsync(TimeSpan duration)
    {
        var received = await TryReceiveAsync(duration).ConfigureAwait(false);
        if (received is not null)
        {
            throw new ExpectationFailedException(
                $"expected no message for {Ms(duration)} but received {Describe(received)}");
        }
    }

    /// <summary>Takes the next message and checks it is the <see cref="Terminated"/> of <paramref name="target"/>.
    /// The probe must watch <paramref name="target"/>.</summary>
    public Task<Terminated> ExpectTerminatedAsync(ActorRef target, TimeSpan? timeout = null) =>
        ExpectMsgAsync<Terminated>(t => ReferenceEquals(t.Actor, target), timeout);

    /// <summary>
    /// Skips messages until one is a <typeparamref name="T"/> matching <paramref name="isMatch"/>.
    /// On timeout the failure lists what was skipped.
    /// </summary>
    public async Task<T> FishForMessageAsync<T>(Func<T, bool> isMatch, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(isMatch);
        var limit = RemainingOrDefault(timeout);
        var stopwatch = Stopwatch.StartNew();
        var skipped = new List<string>();
        while (true)
        {
            var left = limit - stopwatch.Elapsed;
            var received = left > TimeSpan.Zero ? await TryReceiveAsync(left).ConfigureAwait(false) : null;
            if (received is null)
            {
                var seen = skipped.Count == 0 ? "nothing" : string.Join("; ", skipped);
                throw new ExpectationFailedException(
                    $"fished for a matching {typeof(T).Name} for {Ms(limit)}; received instead: {seen}");
            }

            if (received.Message is T typed && isMatch(typed))
            {
                return typed;
            }

            skipped.Add(Describe(received));
        }
    }

    private async Task<Received?> TryReceiveAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout, System.TimeProvider);
        try
        {
            var received = await _received.Reader.ReadAsync(cancellation.Token).ConfigureAwait(false);
            LastSender = received.Sender;
            return received;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return null;
        }
    }

    private TimeSpan RemainingOrDefault(TimeSpan? timeout)
    {
        var chosen = timeout ?? DefaultTimeout;
        if (Deadline.Value is { } deadline)
        {
            var remaining = deadline - System.TimeProvider.GetUtcNow();
            if (remaining < chosen)
            {
                chosen = remaining < TimeSpan.Zero ? TimeSpan.Zero : remaining;
            }
        }

        return chosen;
    }

    private static string Describe(Received received) =>
        $"{received.Message.GetType().Name} {received.Message} from {received.Sender?.Path ?? "no sender"}";

    private static string Ms(TimeSpan span) => $"{span.TotalMilliseconds:0} ms";

    private sealed record Received(object Message, ActorRef? Sender);
}
