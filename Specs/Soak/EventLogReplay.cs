using System.Text.Json;

namespace LayerLock.Specs.Soak;

/// <summary>
/// Replays the Coordinator's JSON event log over all its runs (a <c>process.started</c> begins a
/// run): who held each key after every transition.
/// </summary>
internal sealed class EventLogReplay
{
    public int Runs { get; private set; }

    public int Grants { get; private set; }

    public int Failovers { get; private set; }

    /// <summary>Every grant of a key that, in the same run, still had a holder.</summary>
    public List<string> Overlaps { get; } = [];

    /// <summary>Every token granted in a run is above every token granted in the runs before it.</summary>
    public bool TokensOnlyGrow { get; private set; } = true;

    /// <summary>Reads <paramref name="jsonl"/> and the files it rolled over into (<c>server_001.jsonl</c>, …), oldest first.</summary>
    public static EventLogReplay Read(string jsonl)
    {
        var directory = Path.GetDirectoryName(jsonl)!;
        var stem = Path.GetFileNameWithoutExtension(jsonl);
        var files = Directory.GetFiles(directory, $"{stem}*.jsonl")
            .OrderBy(f => Path.GetFileNameWithoutExtension(f).Length)
            .ThenBy(f => f, StringComparer.Ordinal);
        return ReadAll(files.SelectMany(File.ReadLines));
    }

    private static EventLogReplay ReadAll(IEnumerable<string> lines)
    {
        var replay = new EventLogReplay();
        var holders = new Dictionary<string, (string Node, long Token)>(StringComparer.Ordinal);
        long highestBefore = 0;
        long highestThisRun = 0;
        foreach (var line in lines)
        {
            using var document = JsonDocument.Parse(line);
            var root = document.RootElement;
            var name = root.GetProperty("MessageTemplate").GetString()!.Split(' ')[0];
            var properties = root.TryGetProperty("Properties", out var p) ? p : default;
            string Text(string property) => properties.GetProperty(property).GetString()!;
            long Number(string property) => properties.GetProperty(property).GetInt64();
            switch (name)
            {
                case "process.started":
                    replay.Runs++;
                    holders.Clear();
                    highestBefore = Math.Max(highestBefore, highestThisRun);
                    highestThisRun = 0;
                    break;
                case "lock.acquired":
                    replay.Grants++;
                    var (key, token) = (Text("Key"), Number("Token"));
                    if (holders.TryGetValue(key, out var holder) && holder.Token != token)
                    {
                        replay.Overlaps.Add($"{key} granted to {Text("Node")} ({token}) while {holder.Node} ({holder.Token}) held it");
                    }

                    if (token <= highestBefore)
                    {
                        replay.TokensOnlyGrow = false;
                    }

                    highestThisRun = Math.Max(highestThisRun, token);
                    holders[key] = (Text("Node"), token);
                    break;
                case "lock.claimed":
                    holders[Text("Key")] = (Text("Node"), Number("Token"));
                    break;
                case "lock.failover":
                    replay.Failovers++;
                    holders.Remove(Text("Key"));
                    break;
                case "lock.released":
                    holders.Remove(Text("Key"));
                    break;
            }
        }

        return replay;
    }
}
