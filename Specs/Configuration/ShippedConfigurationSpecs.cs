using LayerLock.Hosting;
using LayerLock.Hosting.Configuration;
using LayerLock.NodeAgent.Hosting;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

/// <summary>The files in hocon/ parse with Akka's HOCON parser and hold the defaults the hosts code against.</summary>
public sealed class ShippedConfigurationSpecs
{
    [Fact]
    public void Coordinator_conf_should_parse_with_its_documented_defaults()
    {
        var data = Read("coordinator.conf");

        Assert.Equal("127.0.0.1:8080", data["layerlock:coordinator:addr"]);
        Assert.Equal("4s", data["layerlock:coordinator:recovery:grace"]);
        Assert.Equal("", data["layerlock:coordinator:state-dir"]);
        Assert.Equal("30s", data["layerlock:coordinator:http:default-ttl"]);
        Assert.Equal("10m", data["layerlock:coordinator:http:max-wait"]);
        Assert.Equal("64KiB", data["layerlock:coordinator:http:max-body"]);
        Assert.Equal("0s", data["layerlock:coordinator:stall:timeout"]);
        Assert.Equal("8KiB", data["layerlock:coordinator:stall:min-rate"]);
        Assert.Equal("30s", data["layerlock:coordinator:stall:window"]);
        Assert.Equal("20s", data["layerlock:coordinator:page:stall-timeout"]);
        Assert.Equal("1s", data["layerlock:coordinator:idle-linger"]);
        Assert.Equal("", data["layerlock:coordinator:auth:token"]);
        Assert.Equal("", data["layerlock:coordinator:tls:certificate"]);
        Assert.Equal("", data["layerlock:coordinator:tls:key"]);
        Assert.Equal("", data["layerlock:log:dir"]);
        Assert.Equal("Information", data["layerlock:log:level"]);
        Assert.Equal("server.log", data["layerlock:log:file"]);
        Assert.Equal("server.jsonl", data["layerlock:log:json-file"]);
        Assert.Equal("size", data["layerlock:log:rolling"]);
        Assert.Equal("64MiB", data["layerlock:log:file-size-limit"]);
        Assert.Equal("7", data["layerlock:log:retained-files"]);
        Assert.Equal("127.0.0.1", data["akka:remote:dot-netty:tcp:hostname"]);
        Assert.Equal("8081", data["akka:remote:dot-netty:tcp:port"]);
        Assert.Equal("500ms", data["akka:remote:watch-failure-detector:heartbeat-interval"]);
        Assert.Equal("1500ms", data["akka:remote:watch-failure-detector:acceptable-heartbeat-pause"]);
        Assert.Equal("250ms", data["akka:remote:watch-failure-detector:unreachable-nodes-reaper-interval"]);
        Assert.Equal("500ms", data["akka:remote:retry-gate-closed-for"]);
    }

    [Fact]
    public void Agent_conf_should_parse_with_its_documented_defaults()
    {
        var data = Read("agent.conf");

        Assert.Equal("", data["layerlock:agent:node"]);
        Assert.Equal("http://127.0.0.1:8080", data["layerlock:agent:coordinator"]);
        Assert.Equal("/run/containerd/containerd.sock", data["layerlock:agent:containerd"]);
        Assert.Equal("", data["layerlock:agent:state-dir"]);
        Assert.Equal("127.0.0.1:9101", data["layerlock:agent:listen"]);
        Assert.Equal("ctr", data["layerlock:agent:ctr"]);
        Assert.Equal("default", data["layerlock:agent:namespace"]);
        Assert.Null(data["layerlock:agent:plain-http"]);
        Assert.Equal("127.0.0.1:9201", data["layerlock:agent:mirror:listen"]);
        Assert.Equal("200ms", data["layerlock:agent:reconnect:initial"]);
        Assert.Equal("10s", data["layerlock:agent:reconnect:max"]);
        Assert.Equal("0.2", data["layerlock:agent:reconnect:jitter"]);
        Assert.Equal("", data["layerlock:agent:lock-manager"]);
        Assert.Equal("1s", data["layerlock:agent:link:heartbeat-interval"]);
        Assert.Equal("3s", data["layerlock:agent:link:timeout"]);
        Assert.Equal("4s", data["layerlock:agent:lease-grace"]);
        Assert.Equal("10m", data["layerlock:agent:lock:wait"]);
        Assert.Equal("10m", data["layerlock:agent:ctr-timeout"]);
        Assert.Equal("", data["layerlock:agent:auth:token"]);
        Assert.Equal("", data["layerlock:agent:tls:ca"]);
        Assert.Equal("", data["layerlock:agent:fault:fail-layer"]);
        Assert.Equal("-1", data["layerlock:agent:fault:fail-after-bytes"]);
        Assert.Equal("", data["layerlock:agent:fault:hold-layer"]);
        Assert.Equal("0", data["layerlock:agent:fault:hold-ms"]);
        Assert.Equal("", data["layerlock:log:dir"]);
        Assert.Equal("", data["layerlock:log:file"]);
        Assert.Equal("", data["layerlock:log:json-file"]);
        Assert.Equal("127.0.0.1", data["akka:remote:dot-netty:tcp:hostname"]);
        Assert.Equal("0", data["akka:remote:dot-netty:tcp:port"]);
        Assert.Equal("500ms", data["akka:remote:retry-gate-closed-for"]);
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
        Assert.Equal(TimeSpan.Zero, coordinator.GetDuration("stall:timeout"));
        Assert.Equal(8192, coordinator.GetSize("stall:min-rate"));
        Assert.Equal(TimeSpan.FromSeconds(30), coordinator.GetDuration("stall:window"));
        Assert.Equal(65_536, coordinator.GetSize("http:max-body"));
        Assert.Equal(64L * 1024 * 1024, configuration.GetSize("layerlock:log:file-size-limit"));
        Assert.Equal(TimeSpan.FromMilliseconds(200), agent.GetDuration("reconnect:initial"));
        Assert.Equal(TimeSpan.FromMinutes(10), agent.GetDuration("lock:wait"));
    }

    [Theory]
    [InlineData("coordinator.conf")]
    [InlineData("agent.conf")]
    public void Shipped_files_should_hold_no_substitution_of_environment_variables(string name)
    {
        var lines = File.ReadAllLines(ShippedFile(name)).Where(line => !line.TrimStart().StartsWith('#'));

        Assert.DoesNotContain(lines, line => line.Contains("${", StringComparison.Ordinal));
    }

    [Fact]
    public void Agent_should_take_the_seeds_NODE_ID_LOCK_SERVER_URL_and_CONTENTD_SOCKET_over_agent_conf()
    {
        var environment = new Dictionary<string, string>
        {
            ["NODE_ID"] = "node-b",
            ["LOCK_SERVER_URL"] = "http://10.0.0.5:8080",
            ["CONTENTD_SOCKET"] = "/run/containerd-b/containerd.sock",
        };

        var configuration = LayerLockConfiguration.Build(
            ["--config", ShippedFile("agent.conf")], "agent.conf", new Dictionary<string, string>(), AgentSettings.EnvironmentVariables, environment);
        var settings = AgentSettings.From(configuration, SpecDirectories.Defaults);

        Assert.Equal("node-b", settings.Node);
        Assert.Equal(new Uri("http://10.0.0.5:8080"), settings.Coordinator);
        Assert.Equal("/run/containerd-b/containerd.sock", settings.ContainerdSocket);
    }

    [Fact]
    public void Agent_flags_should_win_over_the_seeds_environment_variables()
    {
        var environment = new Dictionary<string, string> { ["NODE_ID"] = "node-b", ["CONTENTD_SOCKET"] = "/run/b.sock" };

        var configuration = LayerLockConfiguration.Build(
            ["--config", ShippedFile("agent.conf"), "--node", "node-c"],
            "agent.conf",
            new Dictionary<string, string> { ["--node"] = "layerlock:agent:node" },
            AgentSettings.EnvironmentVariables,
            environment);

        Assert.Equal("node-c", configuration["layerlock:agent:node"]);
        Assert.Equal("/run/b.sock", configuration["layerlock:agent:containerd"]);
        Assert.Equal("http://127.0.0.1:8080", configuration["layerlock:agent:coordinator"]);
    }

    private static Dictionary<string, string?> Read(string name) =>
        new ConfigurationBuilder().AddHoconFile(ShippedFile(name)).Build().AsEnumerable()
            .ToDictionary(setting => setting.Key, setting => setting.Value, StringComparer.OrdinalIgnoreCase);

    internal static string ShippedFile(string name)
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
