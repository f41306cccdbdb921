using LayerLock.Actors.Configuration;
using LayerLock.Coordinator.Hosting;
using LayerLock.Coordinator.Locks;
using LayerLock.Specs.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Serilog;

namespace LayerLock.Specs.Locks.Contract;

/// <summary>A real Coordinator (Kestrel, loopback, a free port, its own state dir) inside the test process.</summary>
internal sealed class RunningCoordinator : IAsyncDisposable
{
    private readonly TempDirectory _state = new();

    private RunningCoordinator(WebApplication app)
    {
        App = app;
    }

    public WebApplication App { get; private set; }

    public Uri BaseAddress => App.BaseAddress();

    public LockTable Table => App.Services.GetRequiredService<CoordinatorRuntime>().Table;

    public static async Task<RunningCoordinator> StartAsync(string extraHocon = "")
    {
        var coordinator = new RunningCoordinator(null!);
        coordinator.App = Build(coordinator._state.Path, extraHocon);
        await coordinator.App.StartAsync();
        return coordinator;
    }

    public async ValueTask DisposeAsync()
    {
        await App.StopAsync();
        await App.DisposeAsync();
        _state.Dispose();
    }

    private static WebApplication Build(string stateDirectory, string extraHocon)
    {
        var configuration = new ConfigurationBuilder().AddHoconString($$"""
            layerlock.coordinator {
              addr = "127.0.0.1:1"
              state-dir = "{{stateDirectory}}"
              keepalive { interval = 1s, timeout = 2s }
            }
            {{extraHocon}}
            """).Build();
        return CoordinatorHost.Create(configuration, new LoggerConfiguration().CreateLogger(), port: 0);
    }
}
