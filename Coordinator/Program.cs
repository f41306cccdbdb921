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

// Akka.Hosting prints a failed ActorSystem start (its port taken) to standard output with the whole
// stack trace before it rethrows: the agent port is checked first, so that case is one line.
if (AgentPortTaken(settings.Remote) is { } taken)
{
    Console.Error.WriteLine(
        $"coordinator: cannot listen for agents on {settings.Remote.Host}:{settings.Remote.Port} (akka.remote.dot-netty.tcp): {taken}; "
        + "free the port or set --akka:remote:dot-netty:tcp:port=N");
    return 1;
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
catch (Exception failed) when (Inner<Akka.Remote.RemoteTransportException>(failed) is { } transport)
{
    // Akka.Remote could not bind its agent port (Akka.Hosting wraps it several times over).
    Console.Error.WriteLine(
        $"coordinator: cannot listen for agents on {settings.Remote.Host}:{settings.Remote.Port} (akka.remote.dot-netty.tcp): {(transport.InnerException ?? transport).Message}; "
        + "free the port or set --akka:remote:dot-netty:tcp:port=N");
    return 1;
}
catch (Exception unexpected)
{
    // The last resort: one line and EX_SOFTWARE (sysexits.h), never a stack trace and SIGABRT.
    var inner = Inner<Exception>(unexpected) ?? unexpected;
    Console.Error.WriteLine($"coordinator: unexpected {inner.GetType().Name}: {inner.Message.ReplaceLineEndings(" ")}");
    return 70;
}

// The innermost exception of type T under any nesting of AggregateExceptions and inner exceptions.
static T? Inner<T>(Exception error)
    where T : Exception
{
    T? found = null;
    for (Exception? current = error; current is not null; current = current is AggregateException { InnerExceptions.Count: 1 } aggregate ? aggregate.InnerExceptions[0] : current.InnerException)
    {
        if (current is T match && current is not AggregateException)
        {
            found = match;
            if (typeof(T) != typeof(Exception))
            {
                return found;
            }
        }
    }

    return found;
}

// Null when the agent port can be bound now (or is 0, or not an IP address); else why not.
static string? AgentPortTaken(RemoteEndpoint remote)
{
    if (remote.Port == 0 || !System.Net.IPAddress.TryParse(remote.Host, out var address))
    {
        return null;
    }

    try
    {
        using var probe = new System.Net.Sockets.Socket(address.AddressFamily, System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        probe.Bind(new System.Net.IPEndPoint(address, remote.Port));
        return null;
    }
    catch (System.Net.Sockets.SocketException error)
    {
        return error.Message;
    }
}
