using LayerLock.Actors.Configuration;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

/// <summary>The files in hocon/ parse and hold the defaults the hosts code against.</summary>
public sealed class ShippedConfigurationSpecs
{
    private static readonly Func<string, string?> NoEnvironment = _ => null;

    [Fact]
    public void Coordinator_conf_should_parse_with_its_documented_defaults()
    {
        var data = HoconReader.ReadFile(ShippedFile("coordinator.conf"), NoEnvironment);

        Assert.Equal("127.0.0.1:8080", data["layerlock:coordinator:addr"]);
        Assert.Equal("1s", data["layerlock:coordinator:keepalive:interval"]);
        Assert.Equal("2s", data["layerlock:coordinator:keepalive:timeout"]);
        Assert.Equal("4s", data["layerlock:coordinator:recovery:grace"]);
        Assert.Equal("state/coordinator", data["layerlock:coordinator:state-dir"]);
        Assert.Equal("30s", data["layerlock:coordinator:http:default-ttl"]);
        Assert.Equal("10m", data["layerlock:coordinator:http:max-wait"]);
        Assert.Equal("64KiB", data["layerlock:coordinator:http:max-body"]);
        Assert.Equal("64KiB", data["layerlock:coordinator:session:max-frame"]);
        Assert.Equal("", data["layerlock:coordinator:auth:token"]);
        Assert.Equal("1s", data["layerlock:coordinator:idle-linger"]);
        Assert.Equal("server.log", data["layerlock:log:file"]);
        Assert.Equal("server.jsonl", data["layerlock:log:json-file"]);
        Assert.Equal("7", data["layerlock:log:retained-files"]);
    }

    [Fact]
    public void Agent_conf_should_parse_with_its_documented_defaults()
    {
        var data = HoconReader.ReadFile(ShippedFile("agent.conf"), NoEnvironment);

        Assert.Equal("", data["layerlock:agent:node"]);
        Assert.Equal("http://127.0.0.1:8080", data["layerlock:agent:coordinator"]);
        Assert.Equal("/run/containerd/containerd.sock", data["layerlock:agent:containerd"]);
        Assert.Equal("127.0.0.1:9101", data["layerlock:agent:listen"]);
        Assert.Null(data["layerlock:agent:plain-http"]);
        Assert.Equal("127.0.0.1:9201", data["layerlock:agent:mirror:listen"]);
        Assert.Equal("200ms", data["layerlock:agent:reconnect:initial"]);
        Assert.Equal("0.2", data["layerlock:agent:reconnect:jitter"]);
        Assert.Equal("1s", data["layerlock:agent:keepalive:interval"]);
        Assert.Equal("10m", data["layerlock:agent:ctr-timeout"]);
        Assert.Equal("-1", data["layerlock:agent:fault:fail-after-bytes"]);
        Assert.Equal("plugin.log", data["layerlock:log:file"]);
        Assert.Equal("plugin.jsonl", data["layerlock:log:json-file"]);
    }

    [Fact]
    public void Shipped_durations_and_sizes_should_parse_with_the_typed_helpers()
    {
        var configuration = new ConfigurationBuilder()
            .AddHoconFile(ShippedFile("coordinator.conf"))
            .AddHoconFile(ShippedFile("agent.conf"))
            .Build();
        var coordinator = configuration.GetSection("layerlock:coordinator");
        var agent = configuration.GetSection("layerlock:agent");

        Assert.Equal(TimeSpan.FromSeconds(4), coordinator.GetDuration("recovery:grace"));
        Assert.Equal(TimeSpan.FromMinutes(10), coordinator.GetDuration("http:max-wait"));
        Assert.Equal(65_536, coordinator.GetSize("http:max-body"));
        Assert.Equal(TimeSpan.FromMilliseconds(200), agent.GetDuration("reconnect:initial"));
        Assert.Equal(TimeSpan.FromMinutes(10), agent.GetDuration("lock:wait"));
    }

    [Fact]
    public void Agent_conf_should_take_node_from_the_NODE_ID_environment_variable()
    {
        var before = Environment.GetEnvironmentVariable("NODE_ID");
        try
        {
            Environment.SetEnvironmentVariable("NODE_ID", "node-b");

            var configuration = new ConfigurationBuilder().AddHoconFile(ShippedFile("agent.conf")).Build();

            Assert.Equal("node-b", configuration["layerlock:agent:node"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable("NODE_ID", before);
        }
    }

    private static string ShippedFile(string name)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "hocon", name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"hocon/{name} not found above {AppContext.BaseDirectory}");
    }
}
