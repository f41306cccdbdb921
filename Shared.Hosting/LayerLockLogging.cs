using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace LayerLock.Hosting;

/// <summary>Builds the Serilog pipeline every LayerLock process uses.</summary>
public static class LayerLockLogging
{
    // No {Exception} on the console: a person gets one line per event, never a stack trace; the
    // files keep the exception in full.
    private const string ConsoleTemplate = "{Timestamp:HH:mm:ss.fff} {Level:u3} {Message:lj}{NewLine}";
    private const string FileTemplate = "{Timestamp:yyyy-MM-ddTHH:mm:ss.fffzzz} [{Level:u3}] ({SourceContext}) {Message:lj}{NewLine}{Exception}";

    /// <summary>
    /// Console for people (one line per event, exceptions left to the files), a rolling text file (<see cref="LogSettings.FileName"/>) and a
    /// JSON-lines file for machines (<see cref="LogSettings.JsonFileName"/>, Serilog's
    /// <see cref="JsonFormatter"/>), all under <see cref="LogSettings.Directory"/>.
    /// </summary>
    /// <param name="settings">Validated log settings.</param>
    /// <param name="process">Added to every event as <c>Process</c>, e.g. "coordinator".</param>
    /// <param name="console">False for CLI verbs whose stdout belongs to the user.</param>
    public static Serilog.Core.Logger CreateLogger(LogSettings settings, string process, bool console = true)
    {
        ArgumentNullException.ThrowIfNull(settings);
        Directory.CreateDirectory(settings.Directory);
        var rollOnSize = settings.Rolling == LogRolling.Size;
        var configuration = new LoggerConfiguration()
            .MinimumLevel.Is(settings.Level)

            // The framework's per-request chatter stays out unless asked for; its lifetime events stay in.
            .MinimumLevel.Override("Microsoft", Max(settings.Level, LogEventLevel.Warning))
            .MinimumLevel.Override("Microsoft.Hosting.Lifetime", settings.Level)
            .Enrich.FromLogContext()
            .Enrich.WithProperty("Process", process)

            // One background writer for every sink: a lock grant does not wait on file or console
            // writes, events keep their order, and a full buffer blocks instead of dropping lines.
            // Disposing the logger drains it. 10,000 events is a third of a second of the busiest
            // benchmark's logging; a deeper buffer only let a lagging writer hold (and promote to
            // the old generation) up to 100 MiB of events during a burst.
            .WriteTo.Async(
                sinks =>
                {
                    sinks.File(
                        Path.Combine(settings.Directory, settings.FileName),
                        outputTemplate: FileTemplate,
                        rollingInterval: settings.RollingInterval,
                        rollOnFileSizeLimit: rollOnSize,
                        fileSizeLimitBytes: settings.FileSizeLimitBytes,
                        retainedFileCountLimit: settings.RetainedFiles,
                        flushToDiskInterval: TimeSpan.FromSeconds(1));
                    sinks.File(
                        new JsonFormatter(renderMessage: true),
                        Path.Combine(settings.Directory, settings.JsonFileName),
                        rollingInterval: settings.RollingInterval,
                        rollOnFileSizeLimit: rollOnSize,
                        fileSizeLimitBytes: settings.FileSizeLimitBytes,
                        retainedFileCountLimit: settings.RetainedFiles,
                        flushToDiskInterval: TimeSpan.FromSeconds(1));
                    if (console)
                    {
                        sinks.Console(outputTemplate: ConsoleTemplate);
                    }
                },
                bufferSize: 10_000,
                blockWhenFull: true);
        return configuration.CreateLogger();
    }

    private static LogEventLevel Max(LogEventLevel a, LogEventLevel b) => a > b ? a : b;
}
