using LayerLock.Actors;
using LayerLock.Actors.Hosting;
using LayerLock.Hosting;
using LayerLock.NodeAgent.Containerd;
using LayerLock.NodeAgent.Control;
using LayerLock.NodeAgent.Coordination;
using LayerLock.NodeAgent.Mirror;
using LayerLock.NodeAgent.Pulls;
using LayerLock.NodeAgent.RefCounts;
using Serilog;

namespace LayerLock.NodeAgent.Hosting;

/// <summary>Builds and starts the agent daemon (<c>NodeAgent run</c>): control API, mirror, session, refcounts.</summary>
internal static class AgentHost
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs the daemon until it is stopped. Start-up failures are one line and exit code 1.</summary>
    public static async Task<int> RunAsync(IConfiguration configuration, Serilog.ILogger logger, CancellationToken stopping)
    {
        var settings = AgentSettings.From(configuration);
        // No reload of appsettings.json on change (the agent reads HOCON): that watcher is recursive
        // over the working directory, which for a daemon is often / and here was containerd's root.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddSerilog(logger);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(settings.Listen);
            kestrel.Listen(settings.MirrorListen);
        });
        builder.Services.AddSingleton(settings);
        builder.Services.AddActorSystem("agent");
        await using var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var log = loggers.CreateLogger("LayerLock.NodeAgent");
        StartupReport.Log(log, "agent", typeof(AgentHost).Assembly, configuration);

        var ctr = new CtrRunner(new CtrOptions(settings.CtrPath, settings.ContainerdSocket, settings.Namespace, settings.CtrTimeout), loggers.CreateLogger("LayerLock.NodeAgent.Containerd"));
        try
        {
            await ctr.CheckAsync(stopping);
        }
        catch (Exception unreachable) when (unreachable is CtrException or FileNotFoundException or TimeoutException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Console.Error.WriteLine($"NodeAgent: {unreachable.Message}");
            return 1;
        }

        var system = app.Services.GetRequiredService<ActorSystem>();
        ActorRef refCounts;
        try
        {
            // The actor loads refcounts.json as it is made; a corrupt file stops the start here.
            var store = new RefCountStore(settings.StateDirectory);
            refCounts = system.Spawn(
                Props.FromProducer(() => new RefCountActor(store, ctr, RefCountActor.DefaultSkipPolicy, loggers.CreateLogger("LayerLock.NodeAgent.RefCounts"))),
                "refcounts");
        }
        catch (InvalidDataException corrupt)
        {
            Console.Error.WriteLine($"NodeAgent: {corrupt.Message}");
            return 1;
        }
        await refCounts.Ask<Reconciled>(Reconcile.Instance, AskTimeout);

        await using var client = new CoordinatorClient(settings.Session, loggers.CreateLogger("LayerLock.NodeAgent.Coordination"));
        client.Start();
        using var upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var catalog = new LayerCatalog();
        var board = new TransferBoard();
        var version = StartupReport.VersionOf(typeof(AgentHost).Assembly).Split('+')[0];
        var mirror = new RegistryMirror(settings, upstream, client, refCounts, ctr, catalog, board, loggers.CreateLogger("LayerLock.NodeAgent.Mirror"), version);
        var hosts = new HostsDirectory(Path.Combine(settings.StateDirectory, "hosts.d"), new Uri($"http://{settings.MirrorListen}"));
        var pulls = new PullService(ctr, hosts, catalog, board, refCounts, loggers.CreateLogger("LayerLock.NodeAgent.Pulls"));

        mirror.Map(app, settings.MirrorListen.Port);
        app.MapControl(settings.Listen.Port, pulls, client, board, refCounts);

        try
        {
            await app.StartAsync(stopping);
        }
        catch (IOException bind)
        {
            Console.Error.WriteLine($"NodeAgent: cannot listen on {settings.Listen} / {settings.MirrorListen}: {bind.Message}");
            return 1;
        }

        await app.WaitForShutdownAsync(stopping);
        return 0;
    }
}
