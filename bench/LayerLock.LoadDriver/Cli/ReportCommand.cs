using LayerLock.LoadDriver.Results;

namespace LayerLock.LoadDriver.Cli;

/// <summary><c>report</c>: renders a results file as markdown tables.</summary>
public static class ReportCommand
{
    public const string Usage = "report --in results.jsonl --out table.md";

    /// <returns>The process exit code: 0 written, 1 the input could not be read.</returns>
    /// <exception cref="UsageException">Bad flags.</exception>
    public static async Task<int> RunAsync(CommandLine line)
    {
        var input = line.Required("in");
        var output = line.Required("out");
        if (line.Unread().Keys.FirstOrDefault() is { } unknown)
        {
            throw new UsageException($"unknown flag --{unknown} for report");
        }

        IReadOnlyList<RunRecord> records;
        try
        {
            records = await ResultsFile.ReadAsync(input, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException or FormatException)
        {
            Console.Error.WriteLine($"load-driver: cannot read {input}: {error.Message}");
            return 1;
        }

        var markdown = ReportRenderer.Render(records);
        await File.WriteAllTextAsync(output, markdown).ConfigureAwait(false);
        Console.WriteLine($"report: {records.Count} runs from {input} → {output}");
        return 0;
    }
}
