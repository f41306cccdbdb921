using System.Buffers;
using System.Net.WebSockets;
using System.Text.Json;
using LayerLock.Messages.Locks;
using LayerLock.Messages.Session;

namespace LayerLock.Coordinator.Sessions;

/// <summary>Frames in and out.</summary>
internal sealed partial class AgentSession
{
    private static readonly TimeSpan CloseTimeout = TimeSpan.FromSeconds(2);

    private bool TrySend(object message)
    {
        SessionFrame? frame;
        switch (message)
        {
            case LockGranted granted:
                _waiting.TryRemove(granted.RequestId, out _);
                frame = new GrantedFrame(granted.RequestId, granted.Key, granted.Token);
                break;
            case LockQueued queued:
                frame = new QueuedFrame(queued.RequestId, queued.Key, queued.Position, queued.Holder);
                break;
            case LockNotAcquired notAcquired:
                _waiting.TryRemove(notAcquired.RequestId, out _);
                frame = new ErrorFrame(
                    notAcquired.RequestId,
                    notAcquired.Reason,
                    $"lock not acquired ({notAcquired.Reason}); holder {notAcquired.Holder ?? "none"}, {notAcquired.Waiters} waiting",
                    notAcquired.Key,
                    notAcquired.Holder);
                break;
            case LockReleased released:
                frame = new ReleasedFrame(released.Key, released.Token, released.Next);
                break;
            case LockRefused refused:
                frame = new ErrorFrame(null, "refused", refused.Reason, refused.Key, refused.Holder);
                break;
            case LockRevoked lost:
                frame = new RevokedFrame(lost.Key, lost.Token, lost.Reason);
                break;
            case ClaimAccepted or ClaimRejected:
                var key = message is ClaimAccepted accepted ? accepted.Key : ((ClaimRejected)message).Key;
                return _claims.TryRemove(key, out var reply) && reply.TrySetResult(message);
            default:
                return false;
        }

        return _outbox.Writer.TryWrite(frame);
    }

    private void Handle(SessionFrame frame)
    {
        switch (frame)
        {
            case LockFrame request:
                if ((LockLimits.CheckKey(request.Key) ?? LockLimits.CheckDuration("wait_ms", request.WaitMs, _runtime.Settings.HttpMaxWait)) is { } bad)
                {
                    Refuse(request.Req, "bad-request", bad, request.Key);
                }
                else if (!_waiting.TryAdd(request.Req, request.Key))
                {
                    Refuse(request.Req, "duplicate-request", $"request {request.Req} is still waiting", request.Key);
                }
                else
                {
                    _runtime.Manager.Tell(new AcquireLock(request.Key, Node, request.Req, TimeSpan.FromMilliseconds(request.WaitMs)), Ref);
                }

                break;
            case UnlockFrame unlock:
                if ((LockLimits.CheckKey(unlock.Key) ?? LockLimits.CheckError(unlock.Error)) is { } badUnlock)
                {
                    Refuse(null, "bad-request", badUnlock, unlock.Key);
                }
                else
                {
                    _runtime.Manager.Tell(new ReleaseLock(unlock.Key, Node, unlock.Token, unlock.Success, unlock.Error), Ref);
                }

                break;
            case ProgressFrame progress:
                if (LockLimits.CheckKey(progress.Key) is { } badProgress)
                {
                    Refuse(null, "bad-request", badProgress, progress.Key);
                }
                else
                {
                    _runtime.Manager.Tell(new ReportProgress(progress.Key, Node, progress.Token, progress.Bytes), Ref);
                }

                break;
            case CancelFrame cancel:
                if (_waiting.TryGetValue(cancel.Req, out var waitingKey))
                {
                    _runtime.Manager.Tell(new CancelWait(waitingKey, Node, cancel.Req), Ref);
                }
                else
                {
                    Refuse(cancel.Req, "unknown-request", $"request {cancel.Req} is not waiting", null);
                }

                break;
            default:
                throw new SessionViolation("unexpected-frame", $"a {FrameName(frame)} frame is not sent by an agent");
        }
    }

    private void Refuse(long? requestId, string code, string detail, string? key)
    {
        Log.FrameRefused(Node, SessionName, code, detail);
        _outbox.Writer.TryWrite(new ErrorFrame(requestId, code, detail, key));
    }

    private const int InitialReceiveBuffer = 4096;

    /// <summary>The next frame, or null when the agent closed the session.</summary>
    /// <remarks>
    /// An idle session waits with a zero-byte receive, holding no buffer; the buffer is rented
    /// when a frame starts to arrive, starts small and doubles up to the frame limit only for a
    /// frame that needs it (10,000 idle sessions would otherwise pin 40 MiB of 4 KiB arrays, or
    /// over a GiB of 128 KiB ones).
    /// </remarks>
    private async Task<SessionFrame?> ReceiveFrameAsync(CancellationToken cancellation)
    {
        var start = await _socket.ReceiveAsync(Memory<byte>.Empty, cancellation).ConfigureAwait(false);
        if (IsClose(start))
        {
            return null;
        }

        if (start.EndOfMessage)
        {
            return Parse([]);
        }

        var limit = (int)_runtime.Settings.SessionMaxFrame;
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Min(InitialReceiveBuffer, limit + 1));
        try
        {
            var length = 0;
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var room = Math.Min(buffer.Length, limit + 1) - length;
                var result = await _socket.ReceiveAsync(buffer.AsMemory(length, room), cancellation).ConfigureAwait(false);
                if (IsClose(result))
                {
                    return null;
                }

                length += result.Count;
                if (length > limit)
                {
                    throw new SessionViolation("frame-too-large", $"a frame must be at most {limit} bytes");
                }

                if (result.EndOfMessage)
                {
                    return Parse(buffer.AsSpan(0, length));
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>True for the agent's close; a binary frame is a protocol violation.</summary>
    private static bool IsClose(ValueWebSocketReceiveResult result) => result.MessageType switch
    {
        WebSocketMessageType.Close => true,
        WebSocketMessageType.Binary => throw new SessionViolation("binary-frame", "frames must be JSON text; a binary frame arrived"),
        _ => false,
    };

    private static SessionFrame Parse(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, SessionJsonContext.Default.SessionFrame)
                ?? throw new SessionViolation("bad-frame", "a frame must be a JSON object, not null");
        }
        catch (JsonException error) when (error.Message.Contains("type discriminator", StringComparison.OrdinalIgnoreCase))
        {
            throw new SessionViolation("unknown-type", "the frame's type is not one of the protocol's");
        }
        catch (JsonException error)
        {
            throw new SessionViolation("bad-frame", $"invalid JSON frame{(error.Path is { } path ? $" at {path}" : string.Empty)}: {FirstLine(error.Message)}");
        }
        catch (NotSupportedException)
        {
            throw new SessionViolation("bad-frame", "a frame must be a JSON object with a \"type\"");
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var frame in _outbox.Reader.ReadAllAsync().ConfigureAwait(false))
            {
                var bytes = JsonSerializer.SerializeToUtf8Bytes(frame, SessionJsonContext.Default.SessionFrame);
                await _socket.SendAsync(bytes, WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
            }

            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                using var timeout = new CancellationTokenSource(CloseTimeout);
                await _socket.CloseOutputAsync(_closeStatus, Truncate(_endReason ?? "closed"), timeout.Token).ConfigureAwait(false);
            }
        }
        catch (Exception error) when (error is WebSocketException or IOException or OperationCanceledException or ObjectDisposedException)
        {
            // The socket is gone; the receive side reports why.
            _ended.Cancel();
        }
    }

    private static string FrameName(SessionFrame frame) => frame.GetType().Name.Replace("Frame", string.Empty, StringComparison.Ordinal).ToLowerInvariant();

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();

    // A close reason must fit in 123 bytes.
    private static string Truncate(string reason) => reason.Length <= 100 ? reason : reason[..100];
}
