using Akka.Actor;
using Akka.Hosting;
using Akka.Logger.Serilog;
using LayerLock.Hosting;
using LayerLock.NodeAgent.Containerd;
using LayerLock.NodeAgent.Control;
using LayerLock.NodeAgent.Coordination;
using LayerLock.NodeAgent.Mirror;
using LayerLock.NodeAgent.Peers;
using LayerLock.NodeAgent.Pulls;
using LayerLock.NodeAgent.RefCounts;
using Serilog;
using Serilog.Events;

namespace LayerLock.NodeAgent.Hosting;

/// <summary>Builds and starts the agent daemon (<c>NodeAgent run</c>): control API, mirror, session, refcounts.</summary>
internal static class AgentHost
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs the daemon until it is stopped. Start-up failures are one line and exit code 1.</summary>
    /// <param name="configuration">The full configuration (HOCON, environment, flags).</param>
    /// <param name="settings">Validated from <paramref name="configuration"/>; its state folder already checked writable.</param>
    public static async Task<int> RunAsync(IConfiguration configuration, AgentSettings settings, Serilog.ILogger logger, CancellationToken stopping)
    {
        // refcounts.json is read before anything starts: a corrupt file stops the start here, with one line.
        var refCountStore = new RefCountStore(settings.StateDirectory);
        IReadOnlyDictionary<string, int> counts;
        try
        {
            counts = refCountStore.Load();
        }
        catch (InvalidDataException corrupt)
        {
            Console.Error.WriteLine($"NodeAgent: {corrupt.Message}");
            return 1;
        }

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
            if (settings.PeerListen is { } peers)
            {
                // With remote-tls the peer endpoint is mutual TLS, as the Akka.Remote link is: only
                // nodes whose certificate chains to the same CA get a blob.
                kestrel.Listen(peers, listen =>
                {
                    if (settings.Link.RemoteTls is { } tls)
                    {
                        var trusts = tls.PeerValidator();
                        listen.UseHttps(new Microsoft.AspNetCore.Server.Kestrel.Https.HttpsConnectionAdapterOptions
                        {
                            ServerCertificate = tls.LoadCertificate(),
                            ClientCertificateMode = Microsoft.AspNetCore.Server.Kestrel.Https.ClientCertificateMode.RequireCertificate,
                            ClientCertificateValidation = (certificate, _, _) => trusts(certificate),
                        });
                    }
                });
            }
        });
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(provider => new CtrRunner(
            new CtrOptions(settings.CtrPath, settings.ContainerdSocket, settings.Namespace, settings.CtrTimeout),
            provider.GetRequiredService<ILoggerFactory>().CreateLogger("LayerLock.NodeAgent.Containerd")));

        // Akka.Logger.Serilog writes to Serilog's static logger: Akka's own events and the actors'
        // (Context.GetLogger()) reach the same sinks as everything else.
        Log.Logger = logger;

        // Reconciliation is the first message the refcount actor gets: it is done before the actor
        // handles any request of the mirror or of the control API.
        Task<object>? reconciliation = null;
        builder.Services.AddAkka("layerlock", (akka, provider) =>
        {
            akka.ConfigureLoggers(setup =>
                {
                    setup.LogLevel = AkkaLogLevel(logger);
                    setup.ClearLoggers();
                    setup.AddLogger<SerilogLogger>();
                })
                .WithActors((system, registry, _) =>
                {
                    var refCounts = system.ActorOf(RefCountActor.Props(refCountStore, counts, provider.GetRequiredService<CtrRunner>()), "refcounts");
                    registry.Register<RefCountActor>(refCounts);
                    reconciliation = refCounts.Ask<object>(Reconcile.AtStart, AskTimeout);
                });
        });
        await using var app = builder.Build();
        var loggers = app.Services.GetRequiredService<ILoggerFactory>();
        var log = loggers.CreateLogger("LayerLock.NodeAgent");
        StartupReport.Log(log, "agent", typeof(AgentHost).Assembly, configuration);

        var ctr = app.Services.GetRequiredService<CtrRunner>();
        try
        {
            await ctr.CheckAsync(stopping);
        }
        catch (Exception unreachable) when (unreachable is CtrException or FileNotFoundException or TimeoutException or System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            Console.Error.WriteLine($"NodeAgent: {unreachable.Message}");
            return 1;
        }

        // The ActorSystem starts with the app, and registers its actors before the app listens.
        var refCounts = app.Services.GetRequiredService<IRequiredActor<RefCountActor>>();
        await using var client = CoordinatorLink.Create(settings.Link, loggers.CreateLogger("LayerLock.NodeAgent.Coordination"));
        client.Start();
        using var upstream = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = true, PooledConnectionLifetime = TimeSpan.FromMinutes(5) })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        // Peers are fetched from directly: no redirects; the mirror's floor (peers.min-rate) bounds the rest.
        var peerHandler = new SocketsHttpHandler { AllowAutoRedirect = false, ConnectTimeout = TimeSpan.FromSeconds(5), PooledConnectionLifetime = TimeSpan.FromMinutes(5) };
        if (settings.Link.RemoteTls is { } peerTls)
        {
            var trusts = peerTls.PeerValidator();
            peerHandler.SslOptions = new System.Net.Security.SslClientAuthenticationOptions
            {
                ClientCertificates = [peerTls.LoadCertificate()],
                RemoteCertificateValidationCallback = (_, certificate, _, _) => trusts(certificate),
            };
        }

        using var peers = new HttpClient(peerHandler)
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        var catalog = new LayerCatalog();
        var board = new TransferBoard();
        var version = StartupReport.VersionOf(typeof(AgentHost).Assembly).Split('+')[0];
        var mirror = new RegistryMirror(settings, upstream, peers, client, refCounts, ctr, catalog, board, loggers.CreateLogger("LayerLock.NodeAgent.Mirror"), version);
        var hosts = new HostsDirectory(Path.Combine(settings.StateDirectory, "hosts.d"), new Uri($"http://{settings.MirrorListen}"));
        var pulls = new PullService(ctr, hosts, catalog, board, refCounts, loggers.CreateLogger("LayerLock.NodeAgent.Pulls"))
        {
            LayersChanged = client.ReportLayers,
        };

        mirror.Map(app, settings.MirrorListen.Port);
        app.MapControl(settings.Listen.Port, pulls, client, board, refCounts);
        if (settings.PeerListen is { } peerListen)
        {
            app.MapPeers(peerListen.Port, settings.PeerMaxServes, ctr, refCounts, catalog, settings.Link.Client.AuthToken, loggers.CreateLogger("LayerLock.NodeAgent.Peers"));
        }

        try
        {
            await app.StartAsync(stopping);
        }
        catch (IOException bind)
        {
            Console.Error.WriteLine($"NodeAgent: cannot listen on {settings.Listen} / {settings.MirrorListen}{(settings.PeerListen is { } p ? $" / {p}" : string.Empty)}: {bind.Message}");
            return 1;
        }

        try
        {
            if (await reconciliation! is RefCountFailed failed)
            {
                Console.Error.WriteLine($"NodeAgent: cannot reconcile {refCountStore.FilePath} with containerd: {failed.Error}");
                return 1;
            }

            client.ReportLayers((await refCounts.ActorRef.Ask<RefCountSnapshot>(GetRefCounts.Instance, AskTimeout)).Counts.Keys);
        }
        catch (AskTimeoutException)
        {
            Console.Error.WriteLine($"NodeAgent: cannot reconcile {refCountStore.FilePath} with containerd: no answer within {AskTimeout.TotalSeconds:0} s");
            return 1;
        }

        await app.WaitForShutdownAsync(stopping);
        return 0;
    }

    // Akka drops an event below its own level before Serilog sees it: the Serilog logger's threshold.
    private static Akka.Event.LogLevel AkkaLogLevel(Serilog.ILogger logger) =>
        logger.IsEnabled(LogEventLevel.Debug) ? Akka.Event.LogLevel.DebugLevel
        : logger.IsEnabled(LogEventLevel.Information) ? Akka.Event.LogLevel.InfoLevel
        : logger.IsEnabled(LogEventLevel.Warning) ? Akka.Event.LogLevel.WarningLevel
        : Akka.Event.LogLevel.ErrorLevel;
}
