using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace LayerLock.Coordinator.Dashboard;

/// <summary>
/// The live page's signed-in sessions, so that signing out ends a session for good (a copied
/// cookie stops working too) and not only in the browser that signed out. In memory, like the
/// cookie keys: a Coordinator restart ends them all. At most <see cref="Capacity"/>; beyond, the
/// oldest session ends.
/// </summary>
internal sealed class DashboardSessions
{
    /// <summary>Sessions kept at once.</summary>
    public const int Capacity = 1024;

    /// <summary>The claim type that carries a session's id in its cookie.</summary>
    public const string IdClaim = "layerlock.session";

    private readonly ConcurrentDictionary<string, long> _open = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    /// <summary>Opens a session; returns its id (128 random bits, hex).</summary>
    public string Open()
    {
        var id = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        lock (_sync)
        {
            if (_open.Count >= Capacity)
            {
                var oldest = _open.MinBy(s => s.Value).Key;
                _open.TryRemove(oldest, out _);
            }

            _open[id] = Environment.TickCount64;
        }

        return id;
    }

    public bool IsOpen(string? id) => id is not null && _open.ContainsKey(id);

    public void Close(string? id)
    {
        if (id is not null)
        {
            _open.TryRemove(id, out _);
        }
    }
}
