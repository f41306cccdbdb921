using System.Diagnostics;
using System.Text;
using System.Text.Json;
using LayerLock.Hosting.Storage;

namespace LayerLock.NodeAgent.RefCounts;

/// <summary>
/// The agent's per-layer reference counts on disk: <c>refcounts.json</c> in the state dir,
/// <c>{"sha256:…": 2, …}</c> sorted by digest, replaced atomically on every save
/// (<see cref="DurableFile"/>), so after a crash it holds the last complete save.
/// </summary>
public sealed class RefCountStore
{
    public const string FileName = "refcounts.json";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true };

    public RefCountStore(string stateDirectory)
    {
        ArgumentException.ThrowIfNullOrEmpty(stateDirectory);
        FilePath = Path.GetFullPath(Path.Combine(stateDirectory, FileName));
    }

    /// <summary>The full path of <c>refcounts.json</c>.</summary>
    public string FilePath { get; }

    /// <summary>Reads the counts. A missing file is an empty table. The file is never modified.</summary>
    /// <exception cref="InvalidDataException">The file is not a JSON object of non-negative integer counts; the message names the file and what to do.</exception>
    public IReadOnlyDictionary<string, int> Load()
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(FilePath);
        }
        catch (Exception missing) when (missing is FileNotFoundException or DirectoryNotFoundException)
        {
            return new Dictionary<string, int>(StringComparer.Ordinal);
        }

        try
        {
            return Parse(bytes);
        }
        catch (Exception error) when (error is JsonException or FormatException)
        {
            throw new InvalidDataException(
                $"{FilePath} is not a valid reference-count file ({error.Message}). It was left as it is: " +
                "repair it, or move it away to start from empty counts (the agent then reconciles with containerd).",
                error);
        }
    }

    /// <summary>Replaces the file with <paramref name="counts"/> (zero counts are left out), durably.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    /// <exception cref="IOException">The file could not be written (disk full, no permission); the old file is untouched.</exception>
    public void Save(IReadOnlyDictionary<string, int> counts)
    {
        ArgumentNullException.ThrowIfNull(counts);
        DurableFile.WriteAllText(FilePath, Serialize(counts));
    }

    /// <summary>
    /// Deletes temp files that a save interrupted by a crash left beside the file (their writer is gone).
    /// Returns how many it deleted. The real file is never read from them.
    /// </summary>
    public int DeleteStaleTemporaryFiles()
    {
        var directory = Path.GetDirectoryName(FilePath)!;
        if (!Directory.Exists(directory))
        {
            return 0;
        }

        var deleted = 0;
        foreach (var temp in Directory.EnumerateFiles(directory, $".{FileName}.*.tmp"))
        {
            // DurableFile names them ".<file>.<pid>.<guid>.tmp"; a live writer's file is left alone.
            var parts = Path.GetFileName(temp)[(FileName.Length + 2)..].Split('.');
            if (parts.Length == 3 && int.TryParse(parts[0], out var writer) && IsAlive(writer))
            {
                continue;
            }

            File.Delete(temp);
            deleted++;
        }

        return deleted;
    }

    internal static string Serialize(IReadOnlyDictionary<string, int> counts)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, WriterOptions))
        {
            writer.WriteStartObject();
            foreach (var (layer, count) in counts.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            {
                ArgumentOutOfRangeException.ThrowIfNegative(count, $"count of {layer}");
                if (count > 0)
                {
                    writer.WriteNumber(layer, count);
                }
            }

            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static Dictionary<string, int> Parse(byte[] bytes)
    {
        using var document = JsonDocument.Parse(bytes);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"expected a JSON object of counts, found {document.RootElement.ValueKind}");
        }

        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var property in document.RootElement.EnumerateObject())
        {
            if (property.Name.Length == 0)
            {
                throw new FormatException("a layer digest is empty");
            }

            if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetInt32(out var count) || count < 0)
            {
                throw new FormatException($"the count of {property.Name} is {property.Value.GetRawText()}; counts are integers from 0 to {int.MaxValue}");
            }

            if (!counts.TryAdd(property.Name, count))
            {
                throw new FormatException($"{property.Name} appears twice");
            }
        }

        return counts;
    }

    private static bool IsAlive(int processId)
    {
        if (processId == Environment.ProcessId)
        {
            return true;
        }

        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
