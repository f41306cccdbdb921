using Akka.Configuration;
using Akka.Hosting;
using LayerLock.Hosting;
using LayerLock.Hosting.Configuration;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace LayerLock.Specs.Hosting;

/// <summary>The <c>akka { … }</c> settings of files, environment and flags reach the ActorSystem's Config, the Akka.Hosting way.</summary>
public sealed class AkkaSettingsSpecs
{
    private const string Hocon = """
        akka.remote.dot-netty.tcp {
          hostname = "127.0.0.1"
          port = 4053
        }
        akka.loglevel = INFO
        layerlock.coordinator.addr = "127.0.0.1:8080"
        """;

    // Injected rather than set on the process, so no child process of another spec inherits it.
    private static readonly Dictionary<string, string> ShellEnvironment = new() { ["AKKA__REMOTE__DOT_NETTY__TCP__PORT"] = "7000" };

    [Fact]
    public void A_port_set_in_the_file_and_overridden_by_a_flag_should_reach_the_Akka_config()
    {
        using var temp = new TempDirectory();
        var file = temp.Write("coordinator.conf", Hocon);
        var configuration = LayerLockConfiguration.Build(
            ["--config", file, "--akka:remote:dot-netty:tcp:port=9000"], "missing.conf", new Dictionary<string, string>(), environment: ShellEnvironment);

        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "layerlock")
            .AddHocon(ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.port = 2552\nakka.actor.provider = remote"), HoconAddMode.Append)
            .AddLayerLockAkkaSettings(configuration);
        var akka = builder.Configuration.Value;

        Assert.Equal(9000, akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("127.0.0.1", akka.GetString("akka.remote.dot-netty.tcp.hostname"));
        Assert.Equal("INFO", akka.GetString("akka.loglevel"));
        Assert.Equal("remote", akka.GetString("akka.actor.provider"));
        Assert.False(akka.HasPath("layerlock"));
    }

    [Fact]
    public void A_shell_style_environment_variable_should_override_the_file_in_the_Akka_config()
    {
        using var temp = new TempDirectory();
        var file = temp.Write("coordinator.conf", Hocon);
        var configuration = LayerLockConfiguration.Build(["--config", file], "missing.conf", new Dictionary<string, string>(), environment: ShellEnvironment);

        var akka = AkkaSettings.ToAkkaConfig(configuration);

        Assert.Equal("7000", configuration["akka:remote:dot-netty:tcp:port"]);
        Assert.Equal(7000, akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("127.0.0.1", akka.GetString("akka.remote.dot-netty.tcp.hostname"));
    }

    [Fact]
    public void A_shell_style_variable_in_the_process_environment_should_override_the_file_in_the_Akka_config()
    {
        using var temp = new TempDirectory();
        // A setting no ActorSystem reads, so a child process started meanwhile by another spec is not affected.
        var probe = $"spec-probe-{Guid.NewGuid():N}";
        var file = temp.Write("coordinator.conf", $"akka.{probe} {{ some-value = file, other-value = file }}");
        var variable = $"AKKA__{probe.Replace('-', '_').ToUpperInvariant()}__SOME_VALUE";
        try
        {
            System.Environment.SetEnvironmentVariable(variable, "env");

            var configuration = LayerLockConfiguration.Build(["--config", file], "missing.conf", new Dictionary<string, string>());
            var akka = AkkaSettings.ToAkkaConfig(configuration);

            Assert.Equal("env", akka.GetString($"akka.{probe}.some-value"));
            Assert.Equal("file", akka.GetString($"akka.{probe}.other-value"));
        }
        finally
        {
            System.Environment.SetEnvironmentVariable(variable, null);
        }
    }

    [Fact]
    public void ToAkkaConfig_should_give_the_akka_section_as_an_Akka_config()
    {
        var configuration = new ConfigurationBuilder()
            .AddHoconString(Hocon)
            .AddCommandLine(["--akka:remote:dot-netty:tcp:port=9000"])
            .Build();

        var akka = AkkaSettings.ToAkkaConfig(configuration);

        Assert.Equal(9000, akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal("127.0.0.1", akka.GetString("akka.remote.dot-netty.tcp.hostname"));
    }

    [Fact]
    public void Without_an_akka_section_nothing_should_change()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("layerlock.coordinator.addr = \"127.0.0.1:8080\"").Build();

        var builder = new AkkaConfigurationBuilder(new ServiceCollection(), "layerlock")
            .AddHocon(ConfigurationFactory.ParseString("akka.remote.dot-netty.tcp.port = 2552"), HoconAddMode.Append)
            .AddLayerLockAkkaSettings(configuration);

        Assert.Equal(2552, builder.Configuration.Value.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.True(AkkaSettings.ToAkkaConfig(configuration).IsEmpty);
    }
}
