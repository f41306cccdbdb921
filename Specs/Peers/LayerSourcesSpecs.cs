using LayerLock.Coordinator.Agents;
using Xunit;

namespace LayerLock.Specs.Peers;

public sealed class LayerSourcesSpecs
{
    private readonly LayerSources _sources = new();

    [Fact]
    public void A_report_should_replace_what_the_node_had_and_keep_other_nodes()
    {
        _sources.Replace("node-a", "s1", "http://a:9301", ["sha256:1", "sha256:2"]);
        _sources.Replace("node-b", "s2", "http://b:9301", ["sha256:2"]);

        _sources.Replace("node-a", "s1", "http://a:9301", ["sha256:2", "sha256:3"]);

        Assert.Empty(_sources.Of("sha256:1"));
        Assert.Equal([("node-a", "http://a:9301"), ("node-b", "http://b:9301")], _sources.Of("sha256:2"));
        Assert.Equal([("node-a", "http://a:9301")], _sources.Of("sha256:3"));
        Assert.Equal(["sha256:2", "sha256:3"], _sources.All().Select(l => l.Layer));
    }

    [Fact]
    public void An_old_session_ending_after_the_node_re_registered_should_remove_nothing()
    {
        _sources.Replace("node-a", "old", "http://a:9301", ["sha256:1"]);
        _sources.Add("node-a", "new", "http://a:9301", "sha256:2");

        _sources.RemoveNode("node-a", "old");

        Assert.Equal(2, _sources.All().Count);
        _sources.RemoveNode("node-a", "new");
        Assert.Empty(_sources.All());
    }
}
