using LayerLock.Hosting;
using LayerLock.NodeAgent.Cli;
using LayerLock.NodeAgent.Hosting;
using Serilog;

// Wiring only: the verb, configuration, logging.
if (args is ["refcount-torture", var tortureDir])
{
    // Hidden: hammers refcounts.json for the crash spec (a SIGKILL mid-write never corrupts it).
    return LayerLock.NodeAgent.Cli.RefCountTortureCommand.Run(tortureDir);
}

const string Usage = """
    usage:
      NodeAgent run --node NODE --coordinator URL --containerd SOCKET [--state-dir DIR] [--log-dir DIR] [--listen ADDR] [--peer-listen ADDR] [--plain-http HOST[,HOST…]] [--config FILE]
      NodeAgent pull REF [--agent ADDR]      pull an image through the agent, showing each layer
      NodeAgent refs [--agent ADDR]          the layer reference counts
      NodeAgent status [--agent ADDR]        session, held locks, transfers
      NodeAgent rm REF [--agent ADDR]        remove an image, then reconcile the layer counts
      NodeAgent lock KEY --node NODE --coordinator URL [--hold-ms N] [--fail TEXT] [--log-dir DIR]
    """;
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
    switch (args)
    {
        case [var verb, var reference, .. var rest] when verb is "pull" or "rm" && !reference.StartsWith("--", StringComparison.Ordinal) && AgentAddress(rest) is { } agent:
            return await ClientCommands.RunAsync(verb, reference, agent, interrupted.Token);
        case [var verb, .. var rest] when verb is "refs" or "status" && AgentAddress(rest) is { } agent:
            return await ClientCommands.RunAsync(verb, null, agent, interrupted.Token);
        case ["run", .. var rest]:
            return await WithConfigurationAsync("run", rest, console: true, (configuration, settings, logger, _) => AgentHost.RunAsync(configuration, settings, logger, interrupted.Token));
        case ["lock", var key, .. var rest] when !key.StartsWith("--", StringComparison.Ordinal):
            return await WithConfigurationAsync("lock", rest, console: false, (configuration, settings, _, log) => LockCommand.RunAsync(key, configuration, settings, log, interrupted.Token));
        case [] or ["--help" or "-h" or "help"]:
            Console.Error.WriteLine(Usage);
            return args.Length == 0 ? 2 : 0;
        default:
            // One line that says what is wrong and the verb's own usage; the full usage is a flag away.
            Console.Error.WriteLine(UsageError(args));
            return 2;
    }
}
catch (Exception error)
{
    // The last resort: whatever a verb did not turn into its own line ends as one line and
    // EX_SOFTWARE (sysexits.h), never as a stack trace and SIGABRT.
    Console.Error.WriteLine($"NodeAgent {(args.Length > 0 ? args[0] : string.Empty)}: unexpected {error.GetType().Name}: {error.Message.ReplaceLineEndings(" ")}");
    return 70;
}

static string UsageError(string[] args)
{
    var verb = args[0];
    var line = Usage.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith($"NodeAgent {verb} ", StringComparison.Ordinal));
    if (line is null)
    {
        return $"NodeAgent: unknown verb '{verb}'; the verbs are run, pull, refs, status, rm, lock (NodeAgent --help)";
    }

    var usage = line.Split("  ", 2)[0];
    var what = (verb, args.Length) switch
    {
        ("pull" or "rm", 1) => "an image reference is required",
        ("lock", 1) => "a lock key is required",
        ("pull" or "rm" or "lock", _) when args[1].StartsWith("--", StringComparison.Ordinal) => $"'{args[1]}' where the {(verb == "lock" ? "key" : "image reference")} should be",
        _ => $"unexpected arguments '{string.Join(' ', args.Skip(verb is "pull" or "rm" ? 2 : 1))}'",
    };
    return $"NodeAgent {verb}: {what}; usage: {usage}";
}

// The client verbs take only --agent ADDR; anything else is a usage error.
static string? AgentAddress(string[] rest) => rest switch
{
    [] => "127.0.0.1:9101",
    ["--agent", var address] => address,
    _ => null,
};

static async Task<int> WithConfigurationAsync(
    string verb, string[] flags, bool console, Func<IConfiguration, AgentSettings, Serilog.ILogger, Microsoft.Extensions.Logging.ILogger, Task<int>> run)
{
    IConfigurationRoot configuration;
    AgentSettings settings;
    LogSettings logSettings;
    try
    {
        configuration = LayerLockConfiguration.Build(flags, "hocon/agent.conf", new Dictionary<string, string>
        {
            ["--node"] = "layerlock:agent:node",
            ["--coordinator"] = "layerlock:agent:coordinator",
            ["--containerd"] = "layerlock:agent:containerd",
            ["--state-dir"] = "layerlock:agent:state-dir",
            ["--listen"] = "layerlock:agent:listen",
            ["--mirror"] = "layerlock:agent:mirror:listen",
            ["--peer-listen"] = "layerlock:agent:peers:listen",
            ["--plain-http"] = "layerlock:agent:plain-http",
            ["--wait-ms"] = "layerlock:agent:lock:wait",
            ["--log-dir"] = "layerlock:log:dir",
            ["--log-level"] = "layerlock:log:level",
            ["--hold-ms"] = "hold-ms",
            ["--fail"] = "fail",
        }, AgentSettings.EnvironmentVariables);
        if (configuration["layerlock:agent:lock:wait"] is { } wait && long.TryParse(wait, out var waitMs))
        {
            configuration["layerlock:agent:lock:wait"] = $"{waitMs}ms";
        }

        var defaults = DefaultDirectories.ForCurrentProcess();
        settings = AgentSettings.From(configuration, defaults);
        var (logFile, jsonLogFile) = AgentSettings.LogFileNames(settings.Node);
        logSettings = LogSettings.From(configuration, defaults.Logs, logFile, jsonLogFile);
        logSettings.ReportIn(configuration);
        if (verb == "run")
        {
            configuration["layerlock:agent:state-dir"] = settings.StateDirectory;
        }
    }
    catch (Exception error) when (error is CommandLineException or FormatException or InvalidOperationException)
    {
        Console.Error.WriteLine($"NodeAgent {verb}: {error.Message}");
        return 2;
    }

    try
    {
        WritableDirectory.Ensure(logSettings.Directory, "log folder", "--log-dir");
        if (verb == "run")
        {
            WritableDirectory.Ensure(settings.StateDirectory, "state folder", "--state-dir");
        }
    }
    catch (DirectoryNotWritableException error)
    {
        Console.Error.WriteLine($"NodeAgent {verb}: {error.Message}");
        return DirectoryNotWritableException.ExitCode;
    }

    await using var logger = LayerLockLogging.CreateLogger(logSettings, "agent", console);
    // Akka.Logger.Serilog writes Akka's own log (the link's remoting lifecycle) through the static logger.
    Serilog.Log.Logger = logger;
    using var loggerFactory = LoggerFactory.Create(logging => logging.AddSerilog(logger));
    var log = loggerFactory.CreateLogger("LayerLock.NodeAgent");
    if (verb == "lock")
    {
        StartupReport.Log(log, "agent", typeof(LockCommand).Assembly, configuration);
    }

    try
    {
        return await run(configuration, settings, logger, log);
    }
    catch (FormatException error)
    {
        Console.Error.WriteLine($"NodeAgent {verb}: {error.Message}");
        return 2;
    }
}
