using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LayerLock.Specs.Support;

/// <summary>An <see cref="ILoggerProvider"/> that keeps every entry, for specs that assert on logs.</summary>
public sealed class CapturedLog : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<Entry> _entries = new();
    private readonly List<(Func<Entry, bool> Match, TaskCompletionSource<Entry> Found)> _waits = [];

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    /// <summary>The first entry, written before or after the call, that <paramref name="match"/> accepts.</summary>
    /// <exception cref="TimeoutException">None within <paramref name="timeout"/>.</exception>
    public Task<Entry> WaitForAsync(Func<Entry, bool> match, TimeSpan timeout)
    {
        var found = new TaskCompletionSource<Entry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waits)
        {
            if (_entries.FirstOrDefault(match) is { } written)
            {
                return Task.FromResult(written);
            }

            _waits.Add((match, found));
        }

        return found.Task.WaitAsync(timeout);
    }

    private void Add(Entry entry)
    {
        lock (_waits)
        {
            _entries.Enqueue(entry);
            foreach (var wait in _waits.Where(w => w.Match(entry)).ToList())
            {
                wait.Found.TrySetResult(entry);
                _waits.Remove(wait);
            }
        }
    }

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public sealed record Entry(string Category, LogLevel Level, string EventName, string Message, Exception? Exception);

    private sealed class CapturingLogger(CapturedLog log, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            log.Add(new Entry(category, logLevel, eventId.Name ?? string.Empty, formatter(state, exception), exception));
    }
}
