using System.Collections.Concurrent;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>What one layer is doing on this node, for <c>NodeAgent pull</c> and <c>status</c>.</summary>
public enum LayerState
{
    Skipped,
    Queued,
    Downloading,
    Done,
    Failed,
}

/// <param name="Position">Queue position (1 = next), when queued.</param>
/// <param name="Bytes">Bytes so far, when downloading or done.</param>
/// <param name="Source">Where the bytes come from, when downloading or done: <c>upstream</c> or <c>peer NODE</c>.</param>
public sealed record LayerProgress(string Digest, LayerState State, int? Position = null, string? Holder = null, long? Bytes = null, string? Error = null, string? Source = null);

/// <summary>
/// Live layer transfers of this node. The mirror reports; pulls and <c>status</c> listen.
/// Reports are cheap and never block the transfer.
/// </summary>
public sealed class TransferBoard
{
    private readonly ConcurrentDictionary<string, LayerProgress> _current = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();
    private Action<LayerProgress>[] _listeners = [];

    /// <summary>Transfers under way (queued or downloading).</summary>
    public IReadOnlyList<LayerProgress> Active =>
        [.. _current.Values.Where(p => p.State is LayerState.Queued or LayerState.Downloading).OrderBy(p => p.Digest, StringComparer.Ordinal)];

    public void Report(LayerProgress progress)
    {
        if (progress.State is LayerState.Queued or LayerState.Downloading)
        {
            _current[progress.Digest] = progress;
        }
        else
        {
            _current.TryRemove(progress.Digest, out _);
        }

        foreach (var listener in Volatile.Read(ref _listeners))
        {
            listener(progress);
        }
    }

    /// <summary>Calls <paramref name="listener"/> for every report until the returned handle is disposed.</summary>
    public IDisposable Listen(Action<LayerProgress> listener)
    {
        lock (_sync)
        {
            _listeners = [.. _listeners, listener];
        }

        return new Subscription(this, listener);
    }

    private sealed class Subscription(TransferBoard board, Action<LayerProgress> listener) : IDisposable
    {
        public void Dispose()
        {
            lock (board._sync)
            {
                board._listeners = [.. board._listeners.Where(l => l != listener)];
            }
        }
    }
}
