using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>A run's connected clients; disposing disconnects them all.</summary>
public sealed class ClientPool : IAsyncDisposable
{
    private const int ConnectParallelism = 16;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(20);
    private readonly ILockClient[] _clients;

    private ClientPool(ILockClient[] clients) => _clients = clients;

    public IReadOnlyList<ILockClient> Clients => _clients;

    public ILockClient this[int index] => _clients[index];

    /// <summary>Connects <see cref="WorkloadOptions.Clients"/> clients, a few at a time; on failure disconnects those already connected.</summary>
    /// <exception cref="LockSystemException">A client could not connect, or not all were connected within 20 s.</exception>
    public static async Task<ClientPool> ConnectAsync(ILockSystem system, WorkloadOptions options, CancellationToken cancellation)
    {
        var clients = new ILockClient?[options.Clients];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        timeout.CancelAfter(ConnectTimeout);
        try
        {
            await Parallel.ForEachAsync(
                Enumerable.Range(0, options.Clients),
                new ParallelOptions { MaxDegreeOfParallelism = ConnectParallelism, CancellationToken = timeout.Token },
                async (i, c) => clients[i] = await system.ConnectAsync(options.ClientName(i), c).ConfigureAwait(false)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellation.IsCancellationRequested)
        {
            await DisposeAllAsync(clients).ConfigureAwait(false);
            throw new LockSystemException(
                $"{system.Name}: {clients.Count(c => c is not null)} of {options.Clients} clients connected within {ConnectTimeout.TotalSeconds:0} s; is the endpoint up?");
        }
        catch
        {
            await DisposeAllAsync(clients).ConfigureAwait(false);
            throw;
        }

        return new ClientPool([.. clients.Select(c => c!)]);
    }

    public ValueTask DisposeAsync() => DisposeAllAsync(_clients);

    private static async ValueTask DisposeAllAsync(IEnumerable<ILockClient?> clients) =>
        await Task.WhenAll(clients.OfType<ILockClient>().Select(c => c.DisposeAsync().AsTask())).ConfigureAwait(false);
}
