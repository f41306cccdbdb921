using LayerLock.Actors.Hosting;
using LayerLock.Coordinator.Hosting;
using Serilog;

// Wiring only: configuration, logging, the actor system and the endpoints.
IConfigurationRoot configuration;
LogSettings logSettings;
ListenAddress addr;
try
{
    configuration = LayerLockConfiguration.Build(args, "hocon/coordinator.conf", new Dictionary<string, string>
    {
        ["--addr"] = "layerlock:coordinator:addr",
        ["--state-dir"] = "layerlock:coordinator:state-dir",
        ["--log-dir"] = "layerlock:log:dir",
        ["--log-level"] = "layerlock:log:level",
    });
    logSettings = LogSettings.From(configuration, "server.log", "server.jsonl");
    addr = ListenAddress.Parse(configuration["layerlock:coordinator:addr"] ?? "127.0.0.1:8080", "layerlock.coordinator.addr");
}
catch (Exception error) when (error is CommandLineException or FormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"coordinator: {error.Message}");
    return 2;
}

await using var logger = LayerLockLogging.CreateLogger(logSettings, "coordinator");
var builder = WebApplication.CreateSlimBuilder();
builder.Configuration.AddConfiguration(configuration);
builder.Logging.ClearProviders();
builder.Logging.AddSerilog(logger);
builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(addr.Address, addr.Port));
builder.Services.AddActorSystem("coordinator");

var app = builder.Build();
app.MapGet("/healthz", () => Results.Text("ok"));

StartupReport.Log(app.Logger, "coordinator", typeof(ListenAddress).Assembly, configuration);
try
{
    await app.RunAsync();
    return 0;
}
catch (IOException bind) when (bind.InnerException is System.Net.Sockets.SocketException)
{
    app.Logger.LogCritical(bind, "cannot listen on {Addr}: {Reason}", addr, bind.Message);
    Console.Error.WriteLine($"coordinator: cannot listen on {addr}: {bind.Message}");
    return 1;
}
