using Akka.Actor;
using Akka.Hosting;

namespace LayerLock.NodeAgent.RefCounts;

/// <summary>
/// Asks <see cref="RefCountActor"/> for the skip decisions of layers requested at about the same time
/// with one <see cref="ShouldSkipOperations"/> (one listing of the content store) instead of one
/// <see cref="ShouldSkipOperation"/> each, one after another. A layer asked while a listing runs
/// waits for the next one, which answers every layer asked meanwhile: each decision still rests on
/// a listing that started after it was asked.
/// </summary>
internal sealed class SkipDecisionBatcher(IRequiredActor<RefCountActor> refCounts, TimeSpan askTimeout)
{
    private readonly Lock _sync = new();
    private Dictionary<string, TaskCompletionSource<SkipDecision>> _waiting = new(StringComparer.Ordinal);
    private bool _running;

    /// <summary>The decision for <paramref name="layer"/>.</summary>
    /// <exception cref="AskTimeoutException">The actor did not answer within the ask timeout.</exception>
    /// <exception cref="ArgumentException">The actor answered <see cref="RefCountFailed"/> (containerd could not be asked); the message names it.</exception>
    public Task<SkipDecision> DecideAsync(string layer)
    {
        TaskCompletionSource<SkipDecision>? decision;
        lock (_sync)
        {
            if (!_waiting.TryGetValue(layer, out decision))
            {
                decision = new TaskCompletionSource<SkipDecision>(TaskCreationOptions.RunContinuationsAsynchronously);
                _waiting[layer] = decision;
            }

            if (_running)
            {
                return decision.Task;
            }

            _running = true;
        }

        _ = RunBatchesAsync();
        return decision.Task;
    }

    private async Task RunBatchesAsync()
    {
        while (true)
        {
            Dictionary<string, TaskCompletionSource<SkipDecision>> batch;
            lock (_sync)
            {
                if (_waiting.Count == 0)
                {
                    _running = false;
                    return;
                }

                batch = _waiting;
                _waiting = new Dictionary<string, TaskCompletionSource<SkipDecision>>(StringComparer.Ordinal);
            }

            try
            {
                var decisions = await refCounts.ActorRef.Ask<SkipDecisions>(new ShouldSkipOperations([.. batch.Keys]), askTimeout).ConfigureAwait(false);
                foreach (var decision in decisions.Decisions)
                {
                    batch[decision.Layer].TrySetResult(decision);
                }
            }
            // Akka's Ask: no answer in time, or an answer of another type.
            catch (Exception failure) when (failure is AskTimeoutException or ArgumentException)
            {
                foreach (var waiter in batch.Values)
                {
                    waiter.TrySetException(failure);
                }
            }
        }
    }
}
