using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using LayerLock.Messages.Session;

namespace LayerLock.NodeAgent.Coordination;

/// <summary>
/// The agent's end of its session with the Coordinator. Keeps one WebSocket open, reconnecting
/// with exponential backoff and jitter; after a reconnect it presents the locks it still holds,
/// and a lock the Coordinator does not give back is marked lost. Lock requests that were waiting
/// when a session ended are sent again on the next one.
/// </summary>
public sealed partial class CoordinatorClient : IAsyncDisposable
{
    private static readonly TimeSpan WelcomeTimeout = TimeSpan.FromSeconds(10);
    private readonly CoordinatorClientOptions _options;
    private readonly ClientLog _log;
    private readonly CancellationTokenSource _disposed = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly ConcurrentDictionary<long, PendingLock> _pending = new();
    private long _sessionNumber;
    private readonly ConcurrentDictionary<string, LockLease> _held = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<string?>> _releases = new(StringComparer.Ordinal);
    private TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ClientWebSocket? _socket;
    private CancellationTokenSource? _leaseGrace;
    private Task? _running;
    private long _requestIds;

    public CoordinatorClient(CoordinatorClientOptions options, ILogger logger)
    {
        _options = options;
        _log = new ClientLog(logger);
    }

    /// <summary>True while a session is open and welcomed.</summary>
    public bool IsConnected => _connected.Task.IsCompletedSuccessfully;

    /// <summary>The locks this agent holds now.</summary>
    public IReadOnlyCollection<LockLease> Held => [.. _held.Values];

    /// <summary>Starts connecting in the background; returns at once.</summary>
    public void Start() => _running ??= Task.Run(RunAsync);

    /// <summary>Completes when a session is open (or throws when <paramref name="cancellation"/> fires).</summary>
    public Task WaitConnectedAsync(CancellationToken cancellation) => Volatile.Read(ref _connected).Task.WaitAsync(cancellation);

    /// <summary>
    /// Asks for the lock on <paramref name="key"/> and waits for it. Survives reconnects: the
    /// request is sent again on the next session.
    /// </summary>
    /// <exception cref="LockNotAcquiredException">Busy (try-lock), timeout, cancelled, ….</exception>
    public async Task<LockLease> AcquireAsync(string key, TimeSpan wait, IProgress<LockQueuedProgress>? progress, CancellationToken cancellation)
    {
        var requestId = Interlocked.Increment(ref _requestIds);
        var pending = new PendingLock(key, wait, progress);
        _pending[requestId] = pending;
        await using var onCancel = cancellation.Register(() =>
        {
            if (_pending.ContainsKey(requestId))
            {
                _ = TrySendAsync(new CancelFrame(requestId));
            }
        });
        if (IsConnected)
        {
            await SendLockOnceAsync(requestId, pending, Volatile.Read(ref _sessionNumber)).ConfigureAwait(false);
        }

        try
        {
            return await pending.Granted.Task.WaitAsync(cancellation).ConfigureAwait(false);
        }
        finally
        {
            _pending.TryRemove(requestId, out _);
        }
    }

    /// <summary>Releases a held lock with the outcome of the work done under it.</summary>
    /// <returns>The node the lock went to next, if any.</returns>
    /// <exception cref="LockRefusedException">The Coordinator no longer counts this agent as the holder.</exception>
    public async Task<string?> ReleaseAsync(LockLease lease, bool success, string? error, CancellationToken cancellation)
    {
        var released = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        _releases[lease.Key] = released;
        _held.TryRemove(lease.Key, out _);
        await WaitConnectedAsync(cancellation).ConfigureAwait(false);
        await TrySendAsync(new UnlockFrame(lease.Key, lease.Token, success, error)).ConfigureAwait(false);
        return await released.Task.WaitAsync(cancellation).ConfigureAwait(false);
    }

    /// <summary>Tells the Coordinator how far the transfer under <paramref name="lease"/> has come (fire and forget).</summary>
    public void ReportProgress(LockLease lease, long bytes)
    {
        if (IsConnected && !lease.Lost.IsCancellationRequested)
        {
            _ = TrySendAsync(new ProgressFrame(lease.Key, lease.Token, bytes));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket is { State: WebSocketState.Open } open)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
                await open.CloseOutputAsync(WebSocketCloseStatus.NormalClosure, "agent stopping", timeout.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                // Closing politely is best effort; the abort below ends it either way.
            }
        }

        await _disposed.CancelAsync().ConfigureAwait(false);
        _socket?.Abort();
        if (_running is not null)
        {
            await _running.ConfigureAwait(false);
        }

        _socket?.Dispose();
    }

    private async Task RunAsync()
    {
        var attempt = 0;
        while (!_disposed.IsCancellationRequested)
        {
            string reason;
            var welcomed = false;
            try
            {
                using var socket = new ClientWebSocket();
                socket.Options.KeepAliveInterval = _options.KeepAliveInterval;
                socket.Options.KeepAliveTimeout = _options.KeepAliveTimeout;
                if (_options.AuthToken is { } token)
                {
                    socket.Options.SetRequestHeader("Authorization", $"Bearer {token}");
                }

                if (_options.TrustedCertificate is { } trusted)
                {
                    socket.Options.RemoteCertificateValidationCallback = TlsTrust.For(trusted);
                }

                await socket.ConnectAsync(_options.SessionUri, _disposed.Token).ConfigureAwait(false);
                _socket = socket;
                var held = _held.Values.Select(l => new HeldLock(l.Key, l.Token)).ToList();
                await TrySendAsync(new HelloFrame(_options.Node, held)).ConfigureAwait(false);
                reason = await ReceiveLoopAsync(socket, () =>
                {
                    welcomed = true;
                    attempt = 0;
                }).ConfigureAwait(false);
            }
            catch (Exception error) when (error is WebSocketException or IOException or OperationCanceledException or TimeoutException)
            {
                reason = error.InnerException?.Message ?? error.Message;
            }
            finally
            {
                _socket = null;
                StartLeaseGrace();

                // An unlock whose answer was lost with the session needs no retry: the lock is
                // released either way (by the unlock, or on the fail path when the session ended).
                foreach (var key in _releases.Keys)
                {
                    if (_releases.TryRemove(key, out var release))
                    {
                        release.TrySetResult(null);
                    }
                }

                if (_connected.Task.IsCompleted)
                {
                    Volatile.Write(ref _connected, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                }
            }

            if (_disposed.IsCancellationRequested)
            {
                return;
            }

            var delay = _options.ReconnectDelay(attempt++, Random.Shared.NextDouble());
            if (welcomed)
            {
                _log.Closed(_options.Node, reason, (long)delay.TotalMilliseconds);
            }
            else
            {
                _log.Unreachable(_options.Coordinator, reason, (long)delay.TotalMilliseconds);
            }

            try
            {
                await Task.Delay(delay, _disposed.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    // Started when a session ends (once, not per failed reconnect); a welcome stops it.
    private void StartLeaseGrace()
    {
        if (_leaseGrace is not null || _held.IsEmpty || _disposed.IsCancellationRequested)
        {
            return;
        }

        var grace = new CancellationTokenSource();
        _leaseGrace = grace;
        _ = Task.Delay(_options.LeaseGrace, grace.Token).ContinueWith(
            _ =>
            {
                var reason = $"no session with the coordinator for {_options.LeaseGrace.TotalMilliseconds:0} ms: the lock has been failed over";
                foreach (var key in _held.Keys)
                {
                    if (_held.TryRemove(key, out var lease))
                    {
                        _log.Lost(lease.Key, lease.Token, reason);
                        lease.MarkLost(reason);
                    }
                }
            },
            grace.Token,
            TaskContinuationOptions.OnlyOnRanToCompletion,
            TaskScheduler.Default);
    }

    private void StopLeaseGrace()
    {
        Interlocked.Exchange(ref _leaseGrace, null)?.Cancel();
    }

    private async Task TrySendAsync(SessionFrame frame)
    {
        var socket = _socket;
        if (socket is null)
        {
            return;
        }

        var bytes = JsonSerializer.SerializeToUtf8Bytes(frame, SessionJsonContext.Default.SessionFrame);
        await _sendLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, _disposed.Token).ConfigureAwait(false);
        }
        catch (Exception error) when (error is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The receive loop sees the same failure and reconnects; pending requests are resent then.
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>
    /// Sends a waiting request on session <paramref name="session"/> unless it already went out
    /// on it: a request made while a welcome is being handled is seen both by its caller and by
    /// the welcome's resend, and a second copy would be granted twice or refused as a duplicate.
    /// </summary>
    private Task SendLockOnceAsync(long requestId, PendingLock pending, long session) =>
        Interlocked.Exchange(ref pending.SentOnSession, session) == session
            ? Task.CompletedTask
            : TrySendAsync(new LockFrame(requestId, pending.Key, (long)pending.Wait.TotalMilliseconds));

    private sealed class PendingLock(string key, TimeSpan wait, IProgress<LockQueuedProgress>? progress)
    {
        /// <summary>The session the request last went out on; 0 = none yet.</summary>
        public long SentOnSession;

        public string Key { get; } = key;

        public TimeSpan Wait { get; } = wait;

        public IProgress<LockQueuedProgress>? Progress { get; } = progress;

        public TaskCompletionSource<LockLease> Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
