using System.Text.Json.Nodes;
using LayerLock.LoadDriver.Results;
using Xunit;

namespace LayerLock.Specs.Bench;

public sealed class ReportNotesSpecs
{
    [Fact]
    public void Render_should_say_a_note_every_system_shares_once_and_name_the_systems_of_the_others()
    {
        RunRecord[] records = [Run("layerlock-remote", "shared\nsession note"), Run("redis", "shared\nTTL note")];

        var markdown = ReportRenderer.Render(records);

        Assert.Contains("- shared\n", markdown);
        Assert.Contains("- layerlock-remote: session note\n", markdown);
        Assert.Contains("- redis: TTL note\n", markdown);
    }

    private static RunRecord Run(string system, string notes) => new(
        "scale", system, "", new JsonObject { ["keys"] = 10 }, new Dictionary<string, double> { ["load_s"] = 1 }, new Dictionary<string, double>(), notes);
}
