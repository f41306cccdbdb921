using System.Globalization;
using LayerLock.NodeAgent.Pulls;

namespace LayerLock.NodeAgent.Cli;

/// <summary>
/// What <c>NodeAgent pull</c> knows about each layer of its pull, from the agent's progress stream:
/// state, bytes so far, size (from the manifest), rate (bytes since the download began over the
/// time since), time left, and who it waits for. Both views render from it, and the closing
/// summary counts from it: layers fetched, skipped and waited for, bytes, time.
/// </summary>
internal sealed class PullProgress(TimeProvider time)
{
    private readonly Dictionary<string, Layer> _layers = new(StringComparer.Ordinal);
    private readonly long _started = time.GetTimestamp();

    /// <summary>The layers in the order the pull first mentioned them.</summary>
    public IReadOnlyCollection<Layer> Layers => _layers.Values;

    /// <summary>Applies one layer event; returns the layer, or null for other events.</summary>
    public Layer? Apply(PullEvent e)
    {
        if (e.Event != "layer" || e.Digest is null)
        {
            return null;
        }

        if (!_layers.TryGetValue(e.Digest, out var layer))
        {
            layer = new Layer(e.Digest);
            _layers[e.Digest] = layer;
        }

        var now = time.GetTimestamp();
        if (e.State == "downloading" && layer.DownloadStarted is null)
        {
            layer.DownloadStarted = now;
        }

        if (e.State == "done")
        {
            layer.DownloadStarted ??= now;
            layer.Finished = now;
        }

        layer.Waited |= e.State == "queued";
        layer.State = e.State ?? layer.State;
        layer.Bytes = e.Bytes ?? layer.Bytes;
        layer.Size = e.Size ?? layer.Size;
        layer.Position = e.Position;
        layer.Holder = e.Holder;
        layer.Source = e.Source ?? layer.Source;
        layer.Error = e.Error;
        layer.Seen = now;
        return layer;
    }

    /// <summary>"waiting for node-b (position 1)", "3.1 of 8.0 MiB  39%  2.4 MiB/s  2 s left from upstream", "done 8.0 MiB in 3.3 s (2.4 MiB/s) from peer node-a", "skipped: this node has it", "failed: …".</summary>
    public string Describe(Layer layer) => layer.State switch
    {
        "queued" => $"waiting for {layer.Holder ?? "the lock"} (position {layer.Position ?? 1})",
        "downloading" => Downloading(layer) + From(layer),
        "done" => $"done {Size(layer.Bytes)} in {Seconds(layer.Finished!.Value - layer.DownloadStarted!.Value)}{RateText(layer, layer.Finished!.Value, " (", ")")}{From(layer)}",
        "skipped" => "skipped: this node has it",
        "present" => "present: this node has it",
        "failed" => $"failed: {layer.Error}",
        var other => other ?? string.Empty,
    };

    /// <summary>The closing line: "2 layers fetched (16.0 MiB), 1 skipped, 1 waited for; 5.2 s", with "(… from peers)" when peers served some.</summary>
    public string Summary()
    {
        var fetched = _layers.Values.Where(l => l.State == "done").ToList();
        var skipped = _layers.Values.Count(l => l.State is "skipped" or "present");
        var waited = _layers.Values.Count(l => l.Waited);
        var fromPeers = fetched.Where(l => l.Source?.StartsWith("peer ", StringComparison.Ordinal) == true).ToList();
        var peers = fromPeers.Count > 0 ? $", {fromPeers.Count} of them from peers ({Size(fromPeers.Sum(l => l.Bytes))})" : string.Empty;
        return $"{Count(fetched.Count, "layer")} fetched ({Size(fetched.Sum(l => l.Bytes))}){peers}, {skipped} skipped, {waited} waited for; {Seconds(time.GetTimestamp() - _started)}";
    }

    private static string From(Layer layer) => layer.Source is { } source ? $" from {source}" : string.Empty;

    public static string Size(long bytes) => bytes switch
    {
        >= 1024L * 1024 * 1024 => $"{bytes / 1073741824.0:0.0} GiB",
        >= 1024 * 1024 => $"{bytes / 1048576.0:0.0} MiB",
        >= 1024 => $"{bytes / 1024.0:0.0} KiB",
        _ => $"{bytes} B",
    };

    public static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;

    private string Downloading(Layer layer)
    {
        var text = layer.Size is { } size and > 0
            ? $"{Size(layer.Bytes)} of {Size(size)}  {Math.Min(100, layer.Bytes * 100 / size),3}%"
            : Size(layer.Bytes);
        var rate = Rate(layer, layer.Seen);
        if (rate is > 0)
        {
            text += $"  {Size((long)rate.Value)}/s";
            if (layer.Size is { } total && total > layer.Bytes)
            {
                text += $"  {Math.Ceiling((total - layer.Bytes) / rate.Value).ToString("0", CultureInfo.InvariantCulture)} s left";
            }
        }

        return text;
    }

    private string RateText(Layer layer, long at, string before, string after) =>
        Rate(layer, at) is { } rate and > 0 ? $"{before}{Size((long)rate)}/s{after}" : string.Empty;

    private double? Rate(Layer layer, long at)
    {
        if (layer.DownloadStarted is not { } started)
        {
            return null;
        }

        var seconds = time.GetElapsedTime(started, at).TotalSeconds;
        return seconds > 0.05 ? layer.Bytes / seconds : null;
    }

    private string Seconds(long ticks) => $"{time.GetElapsedTime(0, ticks).TotalSeconds.ToString("0.0", CultureInfo.InvariantCulture)} s";

    private static string Count(int count, string noun) => count == 1 ? $"1 {noun}" : $"{count} {noun}s";

    /// <summary>One layer as the pull last heard of it.</summary>
    internal sealed class Layer(string digest)
    {
        public string Digest { get; } = digest;

        public string State { get; set; } = string.Empty;

        public long Bytes { get; set; }

        public long? Size { get; set; }

        public int? Position { get; set; }

        public string? Holder { get; set; }

        /// <summary>"upstream" or "peer NODE", once bytes move.</summary>
        public string? Source { get; set; }

        public string? Error { get; set; }

        /// <summary>It waited in the lock's queue at some point.</summary>
        public bool Waited { get; set; }

        public long? DownloadStarted { get; set; }

        public long? Finished { get; set; }

        public long Seen { get; set; }
    }
}
