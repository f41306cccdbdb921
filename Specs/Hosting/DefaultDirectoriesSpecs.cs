using LayerLock.Coordinator.Hosting;
using LayerLock.Hosting;
using LayerLock.NodeAgent.Hosting;
using LayerLock.Specs.Configuration;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Hosting;

/// <summary>Where the daemons write when no setting names a folder, and that every setting still wins.</summary>
public sealed class DefaultDirectoriesSpecs
{
    private static readonly DefaultDirectories AsRoot = DefaultDirectories.For(isRoot: true, xdgStateHome: "/home/ann/.state", home: "/home/ann");
    private static readonly DefaultDirectories AsAnn = DefaultDirectories.For(isRoot: false, xdgStateHome: null, home: "/home/ann");

    [Fact]
    public void Defaults_should_be_under_var_lib_and_var_log_when_root_whatever_the_environment_says()
    {
        Assert.Equal("/var/lib/layerlock/coordinator", AsRoot.Coordinator);
        Assert.Equal("/var/lib/layerlock/agent-node-a", AsRoot.Agent("node-a"));
        Assert.Equal("/var/log/layerlock", AsRoot.Logs);
    }

    [Fact]
    public void Defaults_should_follow_XDG_STATE_HOME_when_not_root()
    {
        var defaults = DefaultDirectories.For(isRoot: false, xdgStateHome: "/srv/ann-state", home: "/home/ann");

        Assert.Equal("/srv/ann-state/layerlock/coordinator", defaults.Coordinator);
        Assert.Equal("/srv/ann-state/layerlock/agent-node-a", defaults.Agent("node-a"));
        Assert.Equal("/srv/ann-state/layerlock/logs", defaults.Logs);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("relative/state")]
    public void Defaults_should_fall_back_to_the_homes_local_state_when_XDG_STATE_HOME_is_unset_empty_or_relative(string? xdgStateHome)
    {
        var defaults = DefaultDirectories.For(isRoot: false, xdgStateHome, home: "/home/ann");

        Assert.Equal("/home/ann/.local/state/layerlock/coordinator", defaults.Coordinator);
        Assert.Equal("/home/ann/.local/state/layerlock/agent-node-b", defaults.Agent("node-b"));
        Assert.Equal("/home/ann/.local/state/layerlock/logs", defaults.Logs);
    }

    [Fact]
    public void Defaults_should_refuse_with_the_flags_to_use_when_not_root_and_there_is_no_home()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DefaultDirectories.For(isRoot: false, xdgStateHome: null, home: ""));

        Assert.Contains("--state-dir DIR and --log-dir DIR", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_agents_log_files_and_state_folder_should_be_named_after_its_node_with_slashes_made_safe()
    {
        Assert.Equal(("plugin-node-a.log", "plugin-node-a.jsonl"), AgentSettings.LogFileNames("node-a"));
        Assert.Equal(("plugin-rack1_node-a.log", "plugin-rack1_node-a.jsonl"), AgentSettings.LogFileNames("rack1/node-a"));
        Assert.Equal("/var/lib/layerlock/agent-rack1_node-a", AsRoot.Agent("rack1/node-a"));
    }

    [Fact]
    public void The_shipped_files_should_leave_the_folders_to_the_defaults()
    {
        var coordinator = Build("coordinator.conf", []);
        var agent = Build("agent.conf", ["--node", "node-a"]);

        Assert.Equal("/var/lib/layerlock/coordinator", CoordinatorSettings.From(coordinator, AsRoot).StateDirectory);
        Assert.Equal("/home/ann/.local/state/layerlock/agent-node-a", AgentSettings.From(agent, AsAnn).StateDirectory);
        Assert.Equal(
            new LogSettingsNames("/var/log/layerlock", "server.log", "server.jsonl"),
            LogSettingsNames.Of(LogSettings.From(coordinator, AsRoot.Logs, "server.log", "server.jsonl")));
        var (file, jsonFile) = AgentSettings.LogFileNames("node-a");
        Assert.Equal(
            new LogSettingsNames("/home/ann/.local/state/layerlock/logs", "plugin-node-a.log", "plugin-node-a.jsonl"),
            LogSettingsNames.Of(LogSettings.From(agent, AsAnn.Logs, file, jsonFile)));
    }

    [Fact]
    public void Flags_should_win_over_the_defaults()
    {
        var coordinator = Build("coordinator.conf", ["--state-dir", "/data/c", "--log-dir", "/data/logs"]);
        var agent = Build("agent.conf", ["--node", "node-a", "--state-dir", "/data/a", "--log-dir", "/data/logs", "--layerlock:log:file=a.log"]);

        Assert.Equal("/data/c", CoordinatorSettings.From(coordinator, AsRoot).StateDirectory);
        Assert.Equal("/data/a", AgentSettings.From(agent, AsRoot).StateDirectory);
        Assert.Equal("/data/logs", LogSettings.From(coordinator, AsRoot.Logs, "server.log", "server.jsonl").Directory);
        Assert.Equal(
            new LogSettingsNames("/data/logs", "a.log", "plugin-node-a.jsonl"),
            LogSettingsNames.Of(LogSettings.From(agent, AsRoot.Logs, "plugin-node-a.log", "plugin-node-a.jsonl")));
    }

    [Fact]
    public void Environment_variables_should_win_over_the_defaults()
    {
        var environment = new Dictionary<string, string>
        {
            ["LAYERLOCK__COORDINATOR__STATE_DIR"] = "/env/c",
            ["LAYERLOCK__AGENT__STATE_DIR"] = "/env/a",
            ["LAYERLOCK__LOG__DIR"] = "/env/logs",
        };
        var coordinator = Build("coordinator.conf", [], environment);
        var agent = Build("agent.conf", ["--node", "node-a"], environment);

        Assert.Equal("/env/c", CoordinatorSettings.From(coordinator, AsRoot).StateDirectory);
        Assert.Equal("/env/a", AgentSettings.From(agent, AsRoot).StateDirectory);
        Assert.Equal("/env/logs", LogSettings.From(agent, AsRoot.Logs, "plugin-node-a.log", "plugin-node-a.jsonl").Directory);
    }

    private static IConfigurationRoot Build(string file, string[] flags, Dictionary<string, string>? environment = null) =>
        LayerLockConfiguration.Build(
            ["--config", ShippedConfigurationSpecs.ShippedFile(file), .. flags],
            file,
            new Dictionary<string, string>
            {
                ["--node"] = "layerlock:agent:node",
                ["--state-dir"] = file == "agent.conf" ? "layerlock:agent:state-dir" : "layerlock:coordinator:state-dir",
                ["--log-dir"] = "layerlock:log:dir",
            },
            new Dictionary<string, string>(),
            environment ?? new Dictionary<string, string>());

    private sealed record LogSettingsNames(string Directory, string File, string JsonFile)
    {
        public static LogSettingsNames Of(LogSettings settings) => new(settings.Directory, settings.FileName, settings.JsonFileName);
    }
}
