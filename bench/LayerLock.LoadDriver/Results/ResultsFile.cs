namespace LayerLock.LoadDriver.Results;

/// <summary>The JSON-lines results file: runs are appended, the report reads them all.</summary>
public static class ResultsFile
{
    public static async Task AppendAsync(string path, RunRecord record, CancellationToken cancellation)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null)
        {
            Directory.CreateDirectory(directory);
        }

        await File.AppendAllTextAsync(path, record.ToJsonLine() + "\n", cancellation).ConfigureAwait(false);
    }

    /// <exception cref="FormatException">A line is not a run record (the message names the line).</exception>
    public static async Task<IReadOnlyList<RunRecord>> ReadAsync(string path, CancellationToken cancellation)
    {
        var records = new List<RunRecord>();
        var number = 0;
        foreach (var line in await File.ReadAllLinesAsync(path, cancellation).ConfigureAwait(false))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            try
            {
                records.Add(RunRecord.Parse(line));
            }
            catch (FormatException error)
            {
                throw new FormatException($"{path}:{number}: {error.Message}", error);
            }
        }

        return records;
    }
}
