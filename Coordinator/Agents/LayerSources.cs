using System.Collections.Concurrent;

namespace LayerLock.Coordinator.Agents;

/// <summary>
/// Which node has which layer, and where it serves it to peers (issue 12): "node X has digest D,
/// served at URL U". A node's set comes from its agent (<c>AgentLayers</c>, after registration and
/// after every pull and rm) and grows at once when its session releases a layer lock with success.
/// Everything a node's session put here goes when that session ends; a newer session of the node
/// takes the node over, and an older session's end then removes nothing. Shared by every session;
/// read by <c>GET /layers</c>. Memory: one entry per (layer, node that has it).
/// </summary>
internal sealed class LayerSources
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, string>> _byLayer = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _sessionOfNode = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    /// <summary>Replaces everything <paramref name="node"/> has with <paramref name="layers"/>, served at <paramref name="url"/>, as told by <paramref name="session"/>.</summary>
    public void Replace(string node, string session, string url, IEnumerable<string> layers)
    {
        var wanted = layers.ToHashSet(StringComparer.Ordinal);
        lock (_sync)
        {
            _sessionOfNode[node] = session;
            foreach (var (layer, nodes) in _byLayer)
            {
                if (!wanted.Contains(layer) && nodes.TryRemove(node, out _) && nodes.IsEmpty)
                {
                    _byLayer.TryRemove(new KeyValuePair<string, ConcurrentDictionary<string, string>>(layer, nodes));
                }
            }

            foreach (var layer in wanted)
            {
                _byLayer.GetOrAdd(layer, _ => new(StringComparer.Ordinal))[node] = url;
            }
        }
    }

    /// <summary>Records that <paramref name="node"/> now has <paramref name="layer"/> (its session released the layer's lock with success).</summary>
    public void Add(string node, string session, string url, string layer)
    {
        lock (_sync)
        {
            _sessionOfNode[node] = session;
            _byLayer.GetOrAdd(layer, _ => new(StringComparer.Ordinal))[node] = url;
        }
    }

    /// <summary>Forgets that <paramref name="node"/> has <paramref name="layer"/> (a fetcher found it answering 404).</summary>
    public void Remove(string node, string layer)
    {
        lock (_sync)
        {
            if (_byLayer.TryGetValue(layer, out var nodes) && nodes.TryRemove(node, out _) && nodes.IsEmpty)
            {
                _byLayer.TryRemove(new KeyValuePair<string, ConcurrentDictionary<string, string>>(layer, nodes));
            }
        }
    }

    /// <summary>Forgets everything <paramref name="node"/> has, if <paramref name="session"/> is still the node's latest.</summary>
    public void RemoveNode(string node, string session)
    {
        lock (_sync)
        {
            if (!_sessionOfNode.TryGetValue(node, out var current) || current != session)
            {
                return;
            }

            _sessionOfNode.TryRemove(node, out _);
            foreach (var (layer, nodes) in _byLayer)
            {
                if (nodes.TryRemove(node, out _) && nodes.IsEmpty)
                {
                    _byLayer.TryRemove(new KeyValuePair<string, ConcurrentDictionary<string, string>>(layer, nodes));
                }
            }
        }
    }

    /// <summary>The nodes that have <paramref name="layer"/> and where they serve it, by node id.</summary>
    public IReadOnlyList<(string Node, string Url)> Of(string layer) =>
        _byLayer.TryGetValue(layer, out var nodes) ? [.. nodes.OrderBy(n => n.Key, StringComparer.Ordinal).Select(n => (n.Key, n.Value))] : [];

    /// <summary>How many layers each node can serve to peers, by node id (nodes with none are absent).</summary>
    public IReadOnlyDictionary<string, int> CountsByNode()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var nodes in _byLayer.Values)
        {
            foreach (var node in nodes.Keys)
            {
                counts[node] = counts.GetValueOrDefault(node) + 1;
            }
        }

        return counts;
    }

    /// <summary>Every layer some node has, by digest.</summary>
    public IReadOnlyList<(string Layer, IReadOnlyList<(string Node, string Url)> Nodes)> All() =>
        [.. _byLayer.Keys.Order(StringComparer.Ordinal).Select(layer => (layer, Of(layer))).Where(l => l.Item2.Count > 0)];
}
