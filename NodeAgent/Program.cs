using LayerLock.Actors.Hosting;
using LayerLock.NodeAgent.Cli;
using Serilog;

if (args is ["refcount-torture", var tortureDir])
{
    return LayerLock.NodeAgent.Cli.RefCountTortureCommand.Run(tortureDir);
}

// Wiring only: configuration, logging, and the verb. The agent daemon and its client verbs
// (run, pull, refs, status, rm) are not built yet; `lock` works.
string[] verbs = ["lock", "run", "pull", "refs", "status", "rm"];
if (args.Length == 0 || !verbs.Contains(args[0]))
{
    Console.Error.WriteLine("usage: NodeAgent lock KEY --coordinator URL --node NODE [--hold-ms N] [--fail TEXT] | run|pull|refs|status|rm [flags]");
    return 2;
}

var verb = args[0];
var key = verb == "lock" && args.Length > 1 && !args[1].StartsWith("--", StringComparison.Ordinal) ? args[1] : null;
if (verb == "lock" && key is null)
{
    Console.Error.WriteLine("NodeAgent lock: the KEY to lock is required, e.g. NodeAgent lock sha256:… --node node-a");
    return 2;
}

IConfigurationRoot configuration;
LogSettings logSettings;
try
{
    configuration = LayerLockConfiguration.Build(args[(key is null ? 1 : 2)..], "hocon/agent.conf", new Dictionary<string, string>
    {
        ["--node"] = "layerlock:agent:node",
        ["--coordinator"] = "layerlock:agent:coordinator",
        ["--containerd"] = "layerlock:agent:containerd",
        ["--state-dir"] = "layerlock:agent:state-dir",
        ["--listen"] = "layerlock:agent:listen",
        ["--wait-ms"] = "layerlock:agent:lock:wait",
        ["--log-dir"] = "layerlock:log:dir",
        ["--log-level"] = "layerlock:log:level",
        ["--hold-ms"] = "hold-ms",
        ["--fail"] = "fail",
    });
    if (configuration["layerlock:agent:lock:wait"] is { } wait && long.TryParse(wait, out var waitMs))
    {
        configuration["layerlock:agent:lock:wait"] = $"{waitMs}ms";
    }

    logSettings = LogSettings.From(configuration, "plugin.log", "plugin.jsonl");
}
catch (Exception error) when (error is CommandLineException or FormatException or InvalidOperationException)
{
    Console.Error.WriteLine($"NodeAgent: {error.Message}");
    return 2;
}

await using var logger = LayerLockLogging.CreateLogger(logSettings, "agent", console: verb != "lock");
using var loggerFactory = LoggerFactory.Create(logging => logging.AddSerilog(logger));
var log = loggerFactory.CreateLogger("LayerLock.NodeAgent");
StartupReport.Log(log, "agent", typeof(LockCommand).Assembly, configuration);
if (verb != "lock")
{
    Console.Error.WriteLine($"NodeAgent: '{verb}' is not implemented yet; configuration, logging and 'lock' are");
    return 3;
}

using var interrupted = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    interrupted.Cancel();
};
using var sigterm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    interrupted.Cancel();
});
try
{
    return await LockCommand.RunAsync(key!, configuration, log, interrupted.Token);
}
catch (FormatException error)
{
    Console.Error.WriteLine($"NodeAgent lock: {error.Message}");
    return 2;
}
