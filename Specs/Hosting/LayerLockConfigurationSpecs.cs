using LayerLock.Specs.Support;
using LayerLock.Actors.Hosting;
using Xunit;

namespace LayerLock.Specs.Hosting;

public sealed class LayerLockConfigurationSpecs
{
    private static readonly Dictionary<string, string> Switches = new()
    {
        ["--addr"] = "layerlock:coordinator:addr",
    };

    [Fact]
    public void Flags_should_override_the_hocon_file_and_config_should_pick_the_file()
    {
        using var temp = new TempDirectory();
        var file = Path.Combine(temp.Path, "c.conf");
        File.WriteAllText(file, "layerlock.coordinator { addr = \"127.0.0.1:1\", state-dir = s }");

        var configuration = LayerLockConfiguration.Build(
            ["--config", file, "--addr", "127.0.0.1:2", "--layerlock:coordinator:state-dir=t"], "missing.conf", Switches);

        Assert.Equal("127.0.0.1:2", configuration["layerlock:coordinator:addr"]);
        Assert.Equal("t", configuration["layerlock:coordinator:state-dir"]);
    }

    [Theory]
    [InlineData(new[] { "--bogus", "1" }, "unknown flag '--bogus'; valid flags: --addr, --config")]
    [InlineData(new[] { "--addr" }, "flag '--addr' needs a value")]
    [InlineData(new[] { "stray" }, "unexpected argument 'stray'")]
    [InlineData(new[] { "--config", "/nonexistent/c.conf" }, "config file '/nonexistent/c.conf' does not exist")]
    public void Bad_flags_should_give_one_clear_line(string[] args, string expected)
    {
        var error = Assert.Throws<CommandLineException>(() => LayerLockConfiguration.Build(args, "hocon/coordinator.conf", Switches));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void The_shipped_file_should_be_found_beside_the_program_by_default()
    {
        var configuration = LayerLockConfiguration.Build([], "hocon/coordinator.conf", Switches);

        Assert.Equal("1s", configuration["layerlock:coordinator:keepalive:interval"]);
    }
}
