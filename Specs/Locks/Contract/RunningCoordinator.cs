using LayerLock.Hosting.Configuration;
using LayerLock.Coordinator.Hosting;
using LayerLock.Coordinator.Locks;
using LayerLock.Specs.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog;
using Serilog.Core;
using Serilog.Events;

namespace LayerLock.Specs.Locks.Contract;

/// <summary>A real Coordinator (Kestrel, loopback, a free port, its own state dir) inside the test process.</summary>
internal sealed class RunningCoordinator : IAsyncDisposable
{
    private readonly TempDirectory _state = new();
    private readonly CollectingSink _sink = new();

    private RunningCoordinator(WebApplication app)
    {
        App = app;
    }

    public WebApplication App { get; private set; }

    public Uri BaseAddress => App.BaseAddress();

    public LockTable Table => App.Services.GetRequiredService<CoordinatorRuntime>().Table;

    /// <summary>Every log event the Coordinator wrote, rendered.</summary>
    public IReadOnlyList<string> LogLines => [.. _sink.Events.Select(e => e.RenderMessage())];

    /// <summary>Every log event the Coordinator wrote, in the order written.</summary>
    public IReadOnlyList<LogEvent> LogEvents => [.. _sink.Events];

    public static async Task<RunningCoordinator> StartAsync(string extraHocon = "")
    {
        var coordinator = new RunningCoordinator(null!);
        coordinator.App = Build(coordinator._state.Path, extraHocon, coordinator._sink);
        await coordinator.App.StartAsync();
        return coordinator;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _state.Dispose();
    }

    private static WebApplication Build(string stateDirectory, string extraHocon, CollectingSink sink)
    {
        var configuration = new ConfigurationBuilder().AddHoconString($$"""
            layerlock.coordinator {
              addr = "127.0.0.1:1"
              state-dir = "{{stateDirectory}}"
            }
            akka.remote.dot-netty.tcp.port = 0
            {{extraHocon}}
            """).Build();
        var settings = CoordinatorSettings.From(configuration, SpecDirectories.Defaults);
        return CoordinatorHost.Create(configuration, settings, new LoggerConfiguration().WriteTo.Sink(sink).CreateLogger(), port: 0);
    }

    private sealed class CollectingSink : ILogEventSink
    {
        public System.Collections.Concurrent.ConcurrentQueue<LogEvent> Events { get; } = new();

        public void Emit(LogEvent logEvent) => Events.Enqueue(logEvent);
    }
}
