using BenchmarkDotNet.Attributes;
using LayerLock.Actors;

namespace LayerLock.Bench;

/// <summary>Posting to a mailbox and having the actor take the message, per message.</summary>
[MemoryDiagnoser]
public class MailboxBenchmarks
{
    private const int Messages = 10_000;
    private ActorSystem _system = null!;
    private ActorRef _counter = null!;
    private Counter _state = null!;

    [GlobalSetup]
    public void Setup()
    {
        _system = new ActorSystem("bench");
        _state = new Counter();
        _counter = _system.Spawn(Props.FromProducer(() => _state), "counter");
    }

    [GlobalCleanup]
    public void Cleanup() => _system.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(OperationsPerInvoke = Messages)]
    public async Task TellAndReceive()
    {
        var done = _state.Expect(Messages);
        for (var i = 0; i < Messages; i++)
        {
            _counter.Tell(Ping.Instance);
        }

        await done;
    }

    private sealed class Ping
    {
        public static readonly Ping Instance = new();
    }

    private sealed class Counter : IActor
    {
        private int _left;
        private TaskCompletionSource? _done;

        public Task Expect(int messages)
        {
            _left = messages;
            _done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _done.Task;
        }

        public Task ReceiveAsync(IContext context)
        {
            if (context.Message is Ping && --_left == 0)
            {
                _done!.SetResult();
            }

            return Task.CompletedTask;
        }
    }
}
