using LayerLock.Actors.Hosting;
using Serilog;

// Wiring only. The agent's daemon and client verbs (run, pull, refs, status, rm) are not built
// yet: this reads the configuration, logs the startup report, and says so.
if (args.Length == 0 || args[0] is not ("run" or "pull" or "refs" or "status" or "rm"))
{
    Console.Error.WriteLine("usage: NodeAgent run|pull|refs|status|rm [flags]");
    return 2;
}

IConfigurationRoot configuration;
LogSettings logSettings;
try
{
    configuration = LayerLockConfiguration.Build(args[1..], "hocon/agent.conf", new Dictionary<string, string>
    {
        ["--node"] = "layerlock:agent:node",
        ["--coordinator"] = "layerlock:agent:coordinator",
        ["--containerd"] = "layerlock:agent:containerd",
        ["--state-dir"] = "layerlock:agent:state-dir",
        ["--listen"] = "layerlock:agent:listen",
        ["--log-dir"] = "layerlock:log:dir",
        ["--log-level"] = "layerlock:log:level",
    });
    logSettings = LogSettings.From(configuration, "plugin.log", "plugin.jsonl");
}
catch (Exception error) when (error is CommandLineException or FormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"NodeAgent: {error.Message}");
    return 2;
}

await using var logger = LayerLockLogging.CreateLogger(logSettings, "agent");
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSerilog(logger));
StartupReport.Log(loggerFactory.CreateLogger("LayerLock.NodeAgent"), "agent", typeof(Program).Assembly, configuration);
Console.Error.WriteLine($"NodeAgent: '{args[0]}' is not implemented yet; configuration and logging are");
return 3;
