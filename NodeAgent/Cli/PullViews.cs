using System.Text.Json;
using System.Text.Json.Serialization;
using LayerLock.NodeAgent.Pulls;
using Spectre.Console;

namespace LayerLock.NodeAgent.Cli;

/// <summary>Shows a pull's layers as they change, from a shared <see cref="PullProgress"/>.</summary>
internal interface IPullView
{
    Task RunAsync(PullProgress progress, Func<Action<PullEvent>, Task> feed);
}

/// <summary>One line per layer change, for logs and pipes (standard output is not a terminal).</summary>
internal sealed class PlainPullView : IPullView
{
    private const long ReportEvery = 4 * 1024 * 1024;
    private readonly Dictionary<string, (string State, long Bytes)> _reported = new(StringComparer.Ordinal);

    public Task RunAsync(PullProgress progress, Func<Action<PullEvent>, Task> feed) => feed(e =>
    {
        if (progress.Apply(e) is not { } layer)
        {
            return;
        }

        // A line per state change; while downloading, one every few MiB is enough for a log.
        var last = _reported.GetValueOrDefault(layer.Digest, (string.Empty, 0));
        if (layer.State == last.State && (layer.State != "downloading" || layer.Bytes - last.Bytes < ReportEvery))
        {
            return;
        }

        _reported[layer.Digest] = (layer.State, layer.Bytes);
        Console.Out.WriteLine($"layer {PullProgress.Short(layer.Digest)} {progress.Describe(layer)}");
    });
}

/// <summary>A live table on a terminal: layer, state with size, percent, rate and time left, or whom it waits for.</summary>
internal sealed class LivePullView : IPullView
{
    public async Task RunAsync(PullProgress progress, Func<Action<PullEvent>, Task> feed)
    {
        var table = new Table().AddColumn("layer").AddColumn("size", c => c.RightAligned()).AddColumn("state");
        await AnsiConsole.Live(table).StartAsync(async live => await feed(e =>
        {
            if (progress.Apply(e) is null)
            {
                return;
            }

            table.Rows.Clear();
            foreach (var layer in progress.Layers)
            {
                var colour = layer.State switch
                {
                    "done" => "green",
                    "failed" => "red",
                    "queued" => "yellow",
                    "skipped" or "present" => "grey",
                    _ => "blue",
                };
                table.AddRow(
                    Markup.Escape(PullProgress.Short(layer.Digest)),
                    layer.Size is { } size ? PullProgress.Size(size) : string.Empty,
                    $"[{colour}]{Markup.Escape(progress.Describe(layer))}[/]");
            }

            live.Refresh();
        }));
    }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class IndentedJsonContext : JsonSerializerContext;
