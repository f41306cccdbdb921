namespace LayerLock.NodeAgent.Coordination;

/// <summary>
/// Reports on the caller's thread (the session's receive loop), unlike <see cref="Progress{T}"/>,
/// which posts to the thread pool and can reorder reports.
/// </summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
