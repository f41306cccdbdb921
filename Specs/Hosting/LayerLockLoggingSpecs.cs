using LayerLock.Specs.Support;
using System.Text.Json;
using LayerLock.Hosting;
using LayerLock.Hosting.Configuration;
using Microsoft.Extensions.Configuration;
using Serilog.Events;
using Xunit;

namespace LayerLock.Specs.Hosting;

public sealed class LayerLockLoggingSpecs
{
    [Fact]
    public async Task Logger_should_write_the_text_file_and_a_json_line_per_event_in_the_configured_dir()
    {
        using var temp = new TempDirectory();
        var configuration = new ConfigurationBuilder().AddHoconString($$"""
            layerlock.log { dir = "{{temp.Path}}", level = Debug, file = server.log, json-file = server.jsonl }
            """).Build();
        var settings = LogSettings.From(configuration, SpecDirectories.Defaults.Logs, "default.log", "default.jsonl");

        await using (var logger = LayerLockLogging.CreateLogger(settings, "coordinator", console: false))
        {
            logger.Information("lock.acquired {Key} {Node} {Token}", "sha256:abc", "node-a", 42L);
            logger.Debug("lock.queued {Key} {Node} {Position}", "sha256:abc", "node-b", 1);
        }

        var text = await File.ReadAllTextAsync(Path.Combine(temp.Path, "server.log"));
        Assert.Contains("lock.acquired sha256:abc node-a 42", text);
        var lines = await File.ReadAllLinesAsync(Path.Combine(temp.Path, "server.jsonl"));
        Assert.Equal(2, lines.Length);
        using var first = JsonDocument.Parse(lines[0]);
        var properties = first.RootElement.GetProperty("Properties");
        Assert.Equal("lock.acquired {Key} {Node} {Token}", first.RootElement.GetProperty("MessageTemplate").GetString());
        Assert.Equal("sha256:abc", properties.GetProperty("Key").GetString());
        Assert.Equal(42, properties.GetProperty("Token").GetInt64());
        Assert.Equal("coordinator", properties.GetProperty("Process").GetString());
    }

    [Fact]
    public void LogSettings_should_take_defaults_when_the_block_is_absent()
    {
        var settings = LogSettings.From(new ConfigurationBuilder().Build(), "/var/log/layerlock", "plugin-node-a.log", "plugin-node-a.jsonl");

        Assert.Equal(new LogSettings("/var/log/layerlock", LogEventLevel.Information, "plugin-node-a.log", "plugin-node-a.jsonl", LogRolling.Size, 64L * 1024 * 1024, 7), settings);
    }

    [Theory]
    [InlineData("level = loud", "layerlock:log:level = 'loud' is not a log level")]
    [InlineData("rolling = weekly", "layerlock:log:rolling = 'weekly' is not valid; use size, day or hour")]
    [InlineData("retained-files = 0", "layerlock:log:retained-files = '0' must be a whole number from 1 to 1000")]
    [InlineData("file-size-limit = 12 parsecs", "layerlock:log:file-size-limit = '12 parsecs'")]
    [InlineData("file-size-limit = 10", "must be at least 1KiB")]
    [InlineData("file = \"../escape.log\"", "must be a plain file name")]
    public void LogSettings_should_refuse_bad_values_naming_key_and_valid_range(string line, string expected)
    {
        var configuration = new ConfigurationBuilder().AddHoconString($"layerlock.log {{ {line} }}").Build();

        var error = Assert.Throws<InvalidOperationException>(() => LogSettings.From(configuration, SpecDirectories.Defaults.Logs, "a.log", "a.jsonl"));

        Assert.Contains(expected, error.Message);
    }
}
