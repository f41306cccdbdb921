using Akka.Hosting;
using LayerLock.Coordinator.Agents;
using LayerLock.Coordinator.Dashboard;
using LayerLock.Hosting.Configuration;
using Akka.Logger.Serilog;
using LayerLock.Coordinator.Http;
using LayerLock.Coordinator.Security;
using Serilog;

namespace LayerLock.Coordinator.Hosting;

/// <summary>Builds the Coordinator's web application from validated settings; used by Program and by specs.</summary>
public static class CoordinatorHost
{
    /// <summary>The ActorSystem's name on the Coordinator and on every agent (DESIGN.md, "Agent ↔ Coordinator").</summary>
    public const string ActorSystemName = "layerlock";

    /// <param name="configuration">The full configuration (HOCON, environment, flags).</param>
    /// <param name="settings">Validated from <paramref name="configuration"/> (<see cref="CoordinatorSettings.From"/>).</param>
    /// <param name="logger">Serilog pipeline; none (the framework's default) when null.</param>
    /// <param name="port">Overrides the port of <c>addr</c>; 0 picks a free one (specs).</param>
    public static WebApplication Create(IConfiguration configuration, CoordinatorSettings settings, Serilog.ILogger? logger = null, int? port = null)
    {
        // No reload of appsettings.json on change (the Coordinator reads HOCON): that watcher is
        // recursive over the working directory, which for a daemon is often /.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = ["--hostBuilder:reloadConfigOnChange=false"] });
        builder.Configuration.AddConfiguration(configuration);
        if (logger is not null)
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddSerilog(logger);
        }

        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(settings.Addr.Address, port ?? settings.Addr.Port, listen =>
        {
            if (settings.Tls is { } tls)
            {
                listen.UseHttps(System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPemFile(tls.Certificate, tls.Key));
            }
        }));
        builder.Services.AddSingleton(settings);
        builder.Services.AddDashboard(port ?? settings.Addr.Port);
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(provider => new CoordinatorRuntime(
            settings,
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetRequiredService<TimeProvider>()));
        builder.Services.AddAkka(ActorSystemName, (akka, provider) =>
        {
            akka.ConfigureLoggers(loggers =>
            {
                if (logger is not null)
                {
                    // Akka's own log (remoting lifecycle, dead letters, actor failures) into the same Serilog sinks.
                    loggers.ClearLoggers();
                    loggers.AddSerilogLogging();
                }
                else
                {
                    loggers.LogLevel = Akka.Event.LogLevel.WarningLevel;
                }
            });
            // Remoting for the agents' link: untrusted mode with only the lock manager reachable by
            // selection, our serializer for the wire messages, and the watch failure detector
            // tuned so a silent cut ends an agent's session within about 3 s (DESIGN.md).
            akka.AddHocon(RemoteLink.CoordinatorConfig(settings.Remote), HoconAddMode.Prepend);
            if (settings.RemoteTls is { } remoteTls)
            {
                // Mutual TLS: our certificate, and only peers whose certificate chains to our CA.
                akka.AddHocon(RemoteTls.Hocon, HoconAddMode.Prepend);
                akka.AddSetup(remoteTls.ToSetup());
            }

            // The akka { } settings of hocon/coordinator.conf, the environment and flags win over the above.
            akka.AddLayerLockAkkaSettings(configuration);
            akka.WithActors((system, registry) => provider.GetRequiredService<CoordinatorRuntime>().StartActors(system, registry));
        });

        var app = builder.Build();
        app.UseSharedSecret(settings.AuthToken);
        app.UseUnansweredAs503();
        app.MapLockApi();
        app.MapAgentLink();
        app.MapDashboard();

        // Open the runtime now, not at the first request: it advances the fencing epoch (and fails
        // here on a corrupt state dir) and starts the recovery grace period.
        app.Services.GetRequiredService<CoordinatorRuntime>();
        return app;
    }

    /// <summary>The address Kestrel really listens on (useful with port 0).</summary>
    public static Uri BaseAddress(this WebApplication app) =>
        new(app.Urls.First(), UriKind.Absolute);
}
