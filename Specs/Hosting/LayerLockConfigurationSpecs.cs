using LayerLock.Hosting;
using LayerLock.Specs.Support;
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
        var file = temp.Write("c.conf", "layerlock.coordinator { addr = \"127.0.0.1:1\", state-dir = s }");

        var configuration = LayerLockConfiguration.Build(
            ["--config", file, "--addr", "127.0.0.1:2", "--layerlock:coordinator:state-dir=t"], "missing.conf", Switches);

        Assert.Equal("127.0.0.1:2", configuration["layerlock:coordinator:addr"]);
        Assert.Equal("t", configuration["layerlock:coordinator:state-dir"]);
    }

    [Fact]
    public void Later_sources_should_win_file_then_environment_then_flags()
    {
        using var temp = new TempDirectory();
        // A key no process reads, so a child process started meanwhile by another spec is not affected.
        var key = $"probe-{Guid.NewGuid():N}";
        var file = temp.Write("c.conf", $$"""
            layerlock.coordinator {
              addr = "127.0.0.1:1"
              {{key}} { file = file, env = file, alias = file, flag = file }
            }
            """);
        var generic = $"layerlock__coordinator__{key}__";
        var aliases = new Dictionary<string, string>
        {
            ["LL_SPEC_ALIAS"] = $"layerlock:coordinator:{key}:alias",
            ["LL_SPEC_ALIAS_AND_GENERIC"] = $"layerlock:coordinator:{key}:env",
        };
        var environment = new Dictionary<string, string> { ["LL_SPEC_ALIAS"] = "alias", ["LL_SPEC_ALIAS_AND_GENERIC"] = "alias" };
        try
        {
            Environment.SetEnvironmentVariable(generic + "env", "env");
            Environment.SetEnvironmentVariable(generic + "flag", "env");

            var configuration = LayerLockConfiguration.Build(
                ["--config", file, $"--layerlock:coordinator:{key}:flag=flag"], "missing.conf", Switches, aliases, environment);
            var section = configuration.GetSection($"layerlock:coordinator:{key}");

            Assert.Equal("file", section["file"]);
            Assert.Equal("alias", section["alias"]);
            Assert.Equal("env", section["env"]);
            Assert.Equal("flag", section["flag"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable(generic + "env", null);
            Environment.SetEnvironmentVariable(generic + "flag", null);
        }
    }

    [Theory]
    [InlineData(new[] { "--bogus", "1" }, "unknown flag '--bogus'; valid flags: --addr, --config, or --layerlock:<setting>=<value> or --akka:<setting>=<value>")]
    [InlineData(new[] { "--addr" }, "flag '--addr' needs a value")]
    [InlineData(new[] { "stray" }, "unexpected argument 'stray'")]
    [InlineData(new[] { "--akka:", "1" }, "unknown flag '--akka:'")]
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

        Assert.Equal("4s", configuration["layerlock:coordinator:recovery:grace"]);
    }
}
