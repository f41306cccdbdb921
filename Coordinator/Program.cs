using LayerLock.Hosting;
using LayerLock.Coordinator.Hosting;

// Wiring only: configuration, logging, the host.
IConfigurationRoot configuration;
LogSettings logSettings;
CoordinatorSettings settings;
try
{
    configuration = LayerLockConfiguration.Build(args, "hocon/coordinator.conf", new Dictionary<string, string>
    {
        ["--addr"] = "layerlock:coordinator:addr",
        ["--state-dir"] = "layerlock:coordinator:state-dir",
        ["--log-dir"] = "layerlock:log:dir",
        ["--log-level"] = "layerlock:log:level",
    }, CoordinatorSettings.EnvironmentVariables);
    var defaults = DefaultDirectories.ForCurrentProcess();
    logSettings = LogSettings.From(configuration, defaults.Logs, "server.log", "server.jsonl");
    settings = CoordinatorSettings.From(configuration, defaults);

    // process.started reports the folders in use, defaults included.
    logSettings.ReportIn(configuration);
    configuration["layerlock:coordinator:state-dir"] = settings.StateDirectory;
}
catch (Exception error) when (error is CommandLineException or FormatException or InvalidOperationException or InvalidDataException)
{
    Console.Error.WriteLine($"coordinator: {error.Message}");
    return 2;
}

try
{
    WritableDirectory.Ensure(logSettings.Directory, "log folder", "--log-dir");
    WritableDirectory.Ensure(settings.StateDirectory, "state folder", "--state-dir");
}
catch (DirectoryNotWritableException error)
{
    Console.Error.WriteLine($"coordinator: {error.Message}");
    return DirectoryNotWritableException.ExitCode;
}

await using var logger = LayerLockLogging.CreateLogger(logSettings, "coordinator");
// Akka.Logger.Serilog writes Akka's own log through the static logger.
Serilog.Log.Logger = logger;
try
{
    var app = CoordinatorHost.Create(configuration, settings, logger);
    StartupReport.Log(app.Logger, "coordinator", typeof(CoordinatorHost).Assembly, configuration);
    await app.RunAsync();
    return 0;
}
catch (IOException bind) when (bind.InnerException is System.Net.Sockets.SocketException || bind.Message.Contains("address", StringComparison.OrdinalIgnoreCase))
{
    Console.Error.WriteLine($"coordinator: cannot listen on {configuration["layerlock:coordinator:addr"]}: {bind.Message}");
    return 1;
}
catch (Exception fatal) when (fatal is InvalidDataException or UnauthorizedAccessException)
{
    Console.Error.WriteLine($"coordinator: {fatal.Message}");
    return 1;
}
