using System.Text.Json;
using System.Text.Json.Serialization;
using LayerLock.NodeAgent.Pulls;
using Spectre.Console;

namespace LayerLock.NodeAgent.Cli;

/// <summary>Shows a pull's layers as they change.</summary>
internal interface IPullView
{
    Task RunAsync(Func<Action<PullEvent>, Task> feed);
}

/// <summary>One line per layer change, for logs and pipes.</summary>
internal sealed class PlainPullView : IPullView
{
    private const long ReportEvery = 4 * 1024 * 1024;
    private readonly Dictionary<string, long> _reported = [];

    public Task RunAsync(Func<Action<PullEvent>, Task> feed) => feed(Show);

    public static string Describe(PullEvent e) => e.State switch
    {
        "queued" => $"queued position={e.Position} holder={e.Holder ?? "none"}",
        "downloading" => $"downloading {Size(e.Bytes ?? 0)}",
        "done" => $"done {Size(e.Bytes ?? 0)}",
        "failed" => $"failed: {e.Error}",
        _ => e.State ?? string.Empty,
    };

    public static string Size(long bytes) => bytes >= 1024 * 1024 ? $"{bytes / 1048576.0:0.0} MiB" : $"{bytes / 1024.0:0.0} KiB";

    public static string Short(string digest) => digest.Length > 19 ? digest[..19] : digest;

    private void Show(PullEvent e)
    {
        if (e.Event != "layer" || e.Digest is null)
        {
            return;
        }

        // Downloads report often; a line every few MiB is enough for a log.
        if (e.State == "downloading")
        {
            var last = _reported.GetValueOrDefault(e.Digest, -ReportEvery);
            if ((e.Bytes ?? 0) - last < ReportEvery)
            {
                return;
            }

            _reported[e.Digest] = e.Bytes ?? 0;
        }

        Console.Out.WriteLine($"layer {Short(e.Digest)} {Describe(e)}");
    }
}

/// <summary>A live table on a terminal.</summary>
internal sealed class LivePullView : IPullView
{
    private readonly Dictionary<string, PullEvent> _layers = [];

    public async Task RunAsync(Func<Action<PullEvent>, Task> feed)
    {
        var table = new Table().AddColumn("layer").AddColumn("state");
        await AnsiConsole.Live(table).StartAsync(async live => await feed(e =>
        {
            if (e.Event != "layer" || e.Digest is null)
            {
                return;
            }

            _layers[e.Digest] = e;
            table.Rows.Clear();
            foreach (var layer in _layers.Values)
            {
                var colour = layer.State switch
                {
                    "done" => "green",
                    "failed" => "red",
                    "queued" => "yellow",
                    "skipped" => "grey",
                    _ => "blue",
                };
                table.AddRow(Markup.Escape(PlainPullView.Short(layer.Digest!)), $"[{colour}]{Markup.Escape(PlainPullView.Describe(layer))}[/]");
            }

            live.Refresh();
        }));
    }
}

[JsonSourceGenerationOptions(WriteIndented = true)]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class IndentedJsonContext : JsonSerializerContext;
