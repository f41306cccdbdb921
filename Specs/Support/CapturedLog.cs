using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LayerLock.Specs.Support;

/// <summary>An <see cref="ILoggerProvider"/> that keeps every entry, for specs that assert on logs.</summary>
public sealed class CapturedLog : ILoggerProvider, ILoggerFactory
{
    private readonly ConcurrentQueue<Entry> _entries = new();

    public IReadOnlyList<Entry> Entries => [.. _entries];

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(_entries, categoryName);

    public void AddProvider(ILoggerProvider provider)
    {
    }

    public void Dispose()
    {
    }

    public sealed record Entry(string Category, LogLevel Level, string EventName, string Message, Exception? Exception);

    private sealed class CapturingLogger(ConcurrentQueue<Entry> entries, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            entries.Enqueue(new Entry(category, logLevel, eventId.Name ?? string.Empty, formatter(state, exception), exception));
    }
}
