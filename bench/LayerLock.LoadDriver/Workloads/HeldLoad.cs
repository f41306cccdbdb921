using LayerLock.LoadDriver.Systems;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// The scale workload's load: many clients (sessions, leases, connections), each holding its share
/// of many keys (key j belongs to client j mod clients). Each phase runs a bounded number of
/// clients at a time, counts its failures instead of throwing, and stops when its token fires,
/// leaving what it reached (the checks show a partial load).
/// </summary>
public sealed class HeldLoad
{
    public const int ConnectParallelism = 32;
    public const int LockParallelism = 64;
    private const int DisposeParallelism = 256;
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(30);

    private readonly ILockSystem _system;
    private readonly Func<int, string> _clientName;
    private readonly Func<int, string> _key;
    private readonly ILockClient?[] _clients;
    private readonly LockHandle?[] _held;
    private string? _firstError;
    private long _connectErrors;
    private long _acquireErrors;
    private long _releaseErrors;

    public HeldLoad(ILockSystem system, int clients, int keys, Func<int, string> clientName, Func<int, string> key)
    {
        _system = system;
        _clientName = clientName;
        _key = key;
        _clients = new ILockClient?[clients];
        _held = new LockHandle?[keys];
    }

    public int Connected => _clients.Count(c => c is not null);

    public int Held => _held.Count(h => h is not null);

    public long ConnectErrors => Interlocked.Read(ref _connectErrors);

    public long AcquireErrors => Interlocked.Read(ref _acquireErrors);

    public long ReleaseErrors => Interlocked.Read(ref _releaseErrors);

    public string? FirstError => Volatile.Read(ref _firstError);

    /// <summary>Connects every client, <see cref="ConnectParallelism"/> at a time.</summary>
    /// <returns>False when <paramref name="cancellation"/> stopped it first.</returns>
    public Task<bool> ConnectAsync(CancellationToken cancellation) =>
        EachClientAsync(ConnectParallelism, cancellation, async (i, c) =>
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(c);
            timeout.CancelAfter(ConnectTimeout);
            try
            {
                _clients[i] = await _system.ConnectAsync(_clientName(i), timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!c.IsCancellationRequested)
            {
                Failed(ref _connectErrors, $"{_clientName(i)} did not connect within {ConnectTimeout.TotalSeconds:0} s");
            }
            catch (LockSystemException error)
            {
                Failed(ref _connectErrors, error.Message);
            }
        });

    /// <summary>Each connected client takes its keys one after the other; <see cref="LockParallelism"/> clients at a time.</summary>
    /// <returns>False when <paramref name="cancellation"/> stopped it first.</returns>
    public Task<bool> AcquireAsync(CancellationToken cancellation) =>
        EachClientAsync(LockParallelism, cancellation, async (i, c) =>
        {
            if (_clients[i] is not { } client)
            {
                return;
            }

            for (var key = i; key < _held.Length; key += _clients.Length)
            {
                try
                {
                    _held[key] = await client.AcquireAsync(_key(key), c).ConfigureAwait(false);
                }
                catch (LockSystemException error)
                {
                    Failed(ref _acquireErrors, error.Message);
                }
            }
        });

    /// <summary>Releases every held key, each client its own one after the other; <see cref="LockParallelism"/> clients at a time.</summary>
    /// <returns>False when <paramref name="cancellation"/> stopped it first (the rest go with their clients).</returns>
    public Task<bool> ReleaseAsync(CancellationToken cancellation) =>
        EachClientAsync(LockParallelism, cancellation, async (i, c) =>
        {
            if (_clients[i] is not { } client)
            {
                return;
            }

            for (var key = i; key < _held.Length; key += _clients.Length)
            {
                if (_held[key] is not { } handle)
                {
                    continue;
                }

                try
                {
                    await client.ReleaseAsync(handle, c).ConfigureAwait(false);
                    _held[key] = null;
                }
                catch (LockSystemException error)
                {
                    Failed(ref _releaseErrors, error.Message);
                }
            }
        });

    /// <summary>Disconnects every client, <see cref="DisposeParallelism"/> at a time; gives up waiting after <paramref name="timeout"/>.</summary>
    /// <returns>False when some were still disconnecting at the timeout.</returns>
    public async Task<bool> DisposeAsync(TimeSpan timeout)
    {
        var disposing = Parallel.ForEachAsync(
            Enumerable.Range(0, _clients.Length),
            new ParallelOptions { MaxDegreeOfParallelism = DisposeParallelism },
            async (i, _) =>
            {
                if (Interlocked.Exchange(ref _clients[i], null) is { } client)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }
            });
        try
        {
            await disposing.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private static async Task<bool> RunBoundedAsync(Task work, CancellationToken cancellation)
    {
        try
        {
            await work.ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            return false;
        }
    }

    private Task<bool> EachClientAsync(int parallelism, CancellationToken cancellation, Func<int, CancellationToken, Task> work) =>
        RunBoundedAsync(
            Parallel.ForEachAsync(
                Enumerable.Range(0, _clients.Length),
                new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellation },
                async (i, c) => await work(i, c).ConfigureAwait(false)),
            cancellation);

    private void Failed(ref long counter, string message)
    {
        Interlocked.Increment(ref counter);
        Interlocked.CompareExchange(ref _firstError, message, null);
    }
}
