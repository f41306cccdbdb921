using System.Text.Json.Nodes;

namespace LayerLock.LoadDriver.Systems;

/// <summary>
/// One lock service under test (LayerLock over Akka.Remote or HTTP, etcd, Redis), reached at one
/// endpoint. It hands out <see cref="ILockClient"/>s; each stands for one independent user of the
/// service (its own session, lease or connection) with its own state.
/// </summary>
public interface ILockSystem : IAsyncDisposable
{
    /// <summary>The name used on the command line and in results: <c>layerlock-remote</c>, <c>etcd</c>, ….</summary>
    string Name { get; }

    /// <summary>
    /// The adapter's protocol choices (TTL, renewal cadence, retry interval, …) as JSON, recorded
    /// with every run under <c>params.system</c>. A new object on every call.
    /// </summary>
    JsonObject Settings();

    /// <summary>One sentence on how a client of this system acquires, keeps and releases a lock.</summary>
    string Protocol { get; }

    /// <summary>Opens one client (a session, lease or connection) and returns once it can lock.</summary>
    /// <param name="clientName">Unique within a run; used as the node name where the system has one.</param>
    Task<ILockClient> ConnectAsync(string clientName, CancellationToken cancellation);
}
