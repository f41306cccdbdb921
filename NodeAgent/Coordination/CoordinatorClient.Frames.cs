using System.Net.WebSockets;
using System.Text.Json;
using LayerLock.Messages.Session;

namespace LayerLock.NodeAgent.Coordination;

/// <summary>What the Coordinator sends.</summary>
public sealed partial class CoordinatorClient
{
    /// <returns>Why the session ended.</returns>
    private async Task<string> ReceiveLoopAsync(ClientWebSocket socket, Action onWelcome)
    {
        var buffer = new byte[64 * 1024];
        using var welcomeTimeout = new CancellationTokenSource(WelcomeTimeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(_disposed.Token, welcomeTimeout.Token);
        var token = linked.Token;
        while (true)
        {
            var length = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                if (length == buffer.Length)
                {
                    Array.Resize(ref buffer, buffer.Length * 2);
                }

                result = await socket.ReceiveAsync(buffer.AsMemory(length), token).ConfigureAwait(false);
                length += result.Count;
            }
            while (!result.EndOfMessage);

            if (result.MessageType == WebSocketMessageType.Close)
            {
                return $"the coordinator closed the session: {socket.CloseStatusDescription ?? socket.CloseStatus?.ToString() ?? "no reason"}";
            }

            var frame = JsonSerializer.Deserialize(buffer.AsSpan(0, length), SessionJsonContext.Default.SessionFrame);
            if (frame is WelcomeFrame welcome)
            {
                // From here on only the dispose token may stop the receive: the welcome arrived.
                welcomeTimeout.CancelAfter(Timeout.Infinite);
                token = _disposed.Token;
                await OnWelcomeAsync(welcome).ConfigureAwait(false);
                onWelcome();
            }
            else if (frame is not null)
            {
                Dispatch(frame);
            }
        }
    }

    private async Task OnWelcomeAsync(WelcomeFrame welcome)
    {
        // Whatever the welcome did not give back is lost below; the grace period is over either way.
        StopLeaseGrace();
        foreach (var rejected in welcome.Rejected)
        {
            if (_held.TryRemove(rejected.Key, out var lease))
            {
                _log.Lost(lease.Key, lease.Token, rejected.Reason);
                lease.MarkLost(rejected.Reason);
            }
        }

        _log.Opened(_options.Node, _options.Coordinator, welcome.Session, welcome.Claimed.Count, welcome.Rejected.Count);

        // The new session's number is set before callers can see the connection, so a request
        // made from here on goes out once: by its caller or by the loop below, never both.
        var session = Interlocked.Increment(ref _sessionNumber);
        Volatile.Read(ref _connected).TrySetResult();

        // Requests that were waiting on the previous session wait again on this one.
        foreach (var (requestId, pending) in _pending)
        {
            await SendLockOnceAsync(requestId, pending, session).ConfigureAwait(false);
        }
    }

    private void Dispatch(SessionFrame frame)
    {
        switch (frame)
        {
            case GrantedFrame granted when _pending.TryGetValue(granted.Req, out var pending):
                var lease = new LockLease(granted.Key, granted.Token);
                _held[granted.Key] = lease;
                if (!pending.Granted.TrySetResult(lease))
                {
                    // The caller gave up (cancelled) just as the grant arrived: hand the lock back.
                    _held.TryRemove(granted.Key, out _);
                    _ = TrySendAsync(new UnlockFrame(granted.Key, granted.Token, false, "the requester gave up before the grant"));
                }

                break;
            case QueuedFrame queued when _pending.TryGetValue(queued.Req, out var pending):
                pending.Progress?.Report(new LockQueuedProgress(queued.Key, queued.Position, queued.Holder));
                break;
            case ErrorFrame { Req: { } req } error when _pending.TryGetValue(req, out var pending):
                pending.Granted.TrySetException(new LockNotAcquiredException(pending.Key, error.Code, error.Holder, error.Message));
                break;
            case ReleasedFrame released when _releases.TryRemove(released.Key, out var release):
                release.TrySetResult(released.Next);
                break;
            case ErrorFrame { Code: "refused", Key: { } key } refused when _releases.TryRemove(key, out var release):
                release.TrySetException(new LockRefusedException(key, refused.Message));
                break;
            case RevokedFrame lost when _held.TryRemove(lost.Key, out var lostLease):
                _log.Lost(lost.Key, lost.Token, lost.Reason);
                lostLease.MarkLost(lost.Reason);
                break;
            case ErrorFrame error:
                _log.Error(error.Code, error.Message);
                break;
        }
    }
}
