using LayerLock.LoadDriver.Cli;
using Microsoft.Extensions.Logging;

// Wiring only: the command line, logging, the two commands.
using var logging = LoggerFactory.Create(builder => builder
    .SetMinimumLevel(LogLevel.Warning)
    .AddSimpleConsole(o => o.SingleLine = true)
    .AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
try
{
    var line = CommandLine.Parse(args);
    return line.Command switch
    {
        "run" => await RunCommand.RunAsync(line, logging),
        "report" => await ReportCommand.RunAsync(line),
        HoldCommand.Name => await HoldCommand.RunAsync(line, logging),
        _ => throw new UsageException($"unknown command '{line.Command}': use run or report"),
    };
}
catch (UsageException error)
{
    Console.Error.WriteLine($"load-driver: {error.Message}");
    Console.Error.WriteLine($"usage: LayerLock.LoadDriver {RunCommand.Usage}");
    Console.Error.WriteLine($"       LayerLock.LoadDriver {ReportCommand.Usage}");
    return 2;
}
