using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;
using LayerLock.Messages.Session;

namespace LayerLock.Specs.Locks.Contract;

/// <summary>A node on a real WebSocket session to a running Coordinator.</summary>
internal sealed class WebSocketLockClient : ILockClient
{
    private static long _requestIds;
    private readonly ClientWebSocket _socket = new();
    private readonly ConcurrentDictionary<long, TaskCompletionSource<AttemptOutcome>> _attempts = new();
    private readonly SemaphoreSlim _sendLock = new(1, 1);
    private readonly TaskCompletionSource<WelcomeFrame> _welcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _firstFrame = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private TaskCompletionSource<UnlockOutcome>? _unlock;
    private Task? _receiving;

    private WebSocketLockClient(string node) => Node = node;

    public string Node { get; }

    public WebSocketState State => _socket.State;

    /// <summary>Completes when the session ends, for whatever reason.</summary>
    public Task Completion => _receiving ?? Task.CompletedTask;

    public string? CloseDescription => _socket.CloseStatusDescription;

    /// <summary>Frames the Coordinator sent, in order (for specs that look at the wire).</summary>
    public ConcurrentQueue<SessionFrame> Received { get; } = new();

    public static async Task<WebSocketLockClient> ConnectAsync(Uri coordinator, string node, IReadOnlyList<HeldLock>? held = null)
    {
        var client = await ConnectWithoutHelloAsync(coordinator, node);
        await client.SendAsync(new HelloFrame(node, held));
        await client._welcome.Task.WaitAsync(TimeSpan.FromSeconds(10));
        return client;
    }

    /// <summary>Opens the socket only; the spec sends the first frame itself.</summary>
    public static async Task<WebSocketLockClient> ConnectWithoutHelloAsync(Uri coordinator, string node)
    {
        var client = new WebSocketLockClient(node);
        await client._socket.ConnectAsync(new Uri($"ws://{coordinator.Authority}/v1/session"), CancellationToken.None);
        client._receiving = client.ReceiveLoopAsync();
        return client;
    }

    public Task<WelcomeFrame> Welcome => _welcome.Task;

    public async Task<LockAttempt> LockAsync(string key, TimeSpan wait)
    {
        var requestId = Interlocked.Increment(ref _requestIds);
        var outcome = new TaskCompletionSource<AttemptOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        _attempts[requestId] = outcome;
        await SendAsync(new LockFrame(requestId, key, (long)wait.TotalMilliseconds));
        return new LockAttempt(key, requestId, outcome.Task);
    }

    public async Task<UnlockOutcome> UnlockAsync(string key, long token, bool success = true, string? error = null)
    {
        _unlock = new TaskCompletionSource<UnlockOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        await SendAsync(new UnlockFrame(key, token, success, error));
        return await _unlock.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    public Task CancelAsync(LockAttempt attempt) => SendAsync(new CancelFrame(attempt.RequestId));

    public Task DropAsync()
    {
        _socket.Abort();
        return Task.CompletedTask;
    }

    public async Task SendRawAsync(byte[] bytes, WebSocketMessageType type)
    {
        await _sendLock.WaitAsync();
        try
        {
            await _socket.SendAsync(bytes, type, endOfMessage: true, CancellationToken.None);
        }
        finally
        {
            _sendLock.Release();
        }
    }

    /// <summary>Completes when the Coordinator closes the session; gives its close status.</summary>
    public async Task<WebSocketCloseStatus?> ClosedAsync()
    {
        if (_receiving is not null)
        {
            await _receiving.WaitAsync(TimeSpan.FromSeconds(10));
        }

        return _socket.CloseStatus;
    }

    /// <summary>
    /// Waits (at most <paramref name="within"/>) until the Coordinator answers with a frame or closes
    /// the session; returns the close status if it closed by then, else null.
    /// </summary>
    public async Task<WebSocketCloseStatus?> ClosedAsyncOrNull(TimeSpan within)
    {
        if (_receiving is null)
        {
            return null;
        }

        try
        {
            await Task.WhenAny(_receiving, _firstFrame.Task).WaitAsync(within);
            if (_firstFrame.Task.IsCompleted && !_receiving.IsCompleted)
            {
                // An error frame before a close: give the close a moment to follow.
                await _receiving.WaitAsync(TimeSpan.FromMilliseconds(500));
            }
        }
        catch (TimeoutException)
        {
            // Still open: a well-formed request, answered or not.
        }

        return _receiving.IsCompleted ? _socket.CloseStatus : null;
    }

    public async ValueTask DisposeAsync()
    {
        _socket.Abort();
        if (_receiving is not null)
        {
            await _receiving;
        }

        _socket.Dispose();
    }

    private Task SendAsync(SessionFrame frame) =>
        SendRawAsync(JsonSerializer.SerializeToUtf8Bytes(frame, SessionJsonContext.Default.SessionFrame), WebSocketMessageType.Text);

    private async Task ReceiveLoopAsync()
    {
        var buffer = new byte[128 * 1024];
        try
        {
            while (true)
            {
                var length = 0;
                ValueWebSocketReceiveResult result;
                do
                {
                    result = await _socket.ReceiveAsync(buffer.AsMemory(length), CancellationToken.None);
                    length += result.Count;
                }
                while (!result.EndOfMessage);

                if (result.MessageType == WebSocketMessageType.Close)
                {
                    return;
                }

                var frame = JsonSerializer.Deserialize(buffer.AsSpan(0, length), SessionJsonContext.Default.SessionFrame)!;
                Received.Enqueue(frame);
                _firstFrame.TrySetResult();
                Dispatch(frame);
            }
        }
        catch (Exception error) when (error is WebSocketException or ObjectDisposedException or OperationCanceledException)
        {
            // Dropped or aborted.
        }
    }

    private void Dispatch(SessionFrame frame)
    {
        switch (frame)
        {
            case WelcomeFrame welcome:
                _welcome.TrySetResult(welcome);
                break;
            case GrantedFrame granted when _attempts.TryRemove(granted.Req, out var attempt):
                attempt.TrySetResult(new AttemptOutcome(true, granted.Token, null, null));
                break;
            case ErrorFrame { Req: { } req } error when _attempts.TryRemove(req, out var attempt):
                attempt.TrySetResult(new AttemptOutcome(false, 0, error.Code, error.Holder));
                break;
            case ReleasedFrame released:
                _unlock?.TrySetResult(new UnlockOutcome(true, released.Next, null));
                break;
            case ErrorFrame { Code: "refused" } refused:
                _unlock?.TrySetResult(new UnlockOutcome(false, null, refused.Message));
                break;
        }
    }
}
