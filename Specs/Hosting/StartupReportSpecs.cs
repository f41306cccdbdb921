using LayerLock.Hosting;
using LayerLock.Hosting.Configuration;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Hosting;

public sealed class StartupReportSpecs
{
    [Fact]
    public void EffectiveSettings_should_redact_secrets_that_have_a_value()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("""
            layerlock.coordinator.auth.token = "s3cr3t"
            layerlock.agent.auth.token = ""
            layerlock.agent.registry-password = hunter2
            layerlock.coordinator.addr = "127.0.0.1:8080"
            other.token = "not ours"
            """).Build();

        var settings = StartupReport.EffectiveSettings(configuration);

        Assert.Equal(StartupReport.Redacted, settings["layerlock:coordinator:auth:token"]);
        Assert.Equal(StartupReport.Redacted, settings["layerlock:agent:registry-password"]);
        Assert.Equal(string.Empty, settings["layerlock:agent:auth:token"]);
        Assert.Equal("127.0.0.1:8080", settings["layerlock:coordinator:addr"]);
        Assert.DoesNotContain(settings.Values, v => v is "s3cr3t" or "hunter2");
        Assert.DoesNotContain("other:token", settings.Keys);
    }

    [Fact]
    public void VersionOf_should_give_the_informational_version()
    {
        var version = StartupReport.VersionOf(typeof(StartupReport).Assembly);

        Assert.StartsWith("0.1.0", version);
    }
}
