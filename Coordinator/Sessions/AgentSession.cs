using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Threading.Channels;
using Akka.Actor;
using LayerLock.Coordinator.Hosting;
using LayerLock.Messages.Locks;
using LayerLock.Messages.Session;

namespace LayerLock.Coordinator.Sessions;

/// <summary>
/// One agent's WebSocket session. Its <see cref="SessionOwner"/> actor owns the session's locks:
/// lock actors tell it their replies, which leave as frames. When the socket ends — close, reset,
/// keep-alive timeout, protocol violation, replacement — the owner is stopped and every lock actor
/// watching it takes the fail path.
/// </summary>
internal sealed partial class AgentSession
{
    private readonly WebSocket _socket;
    private readonly CoordinatorRuntime _runtime;
    private readonly string _remote;
    private readonly Channel<SessionFrame> _outbox = Channel.CreateUnbounded<SessionFrame>(new UnboundedChannelOptions { SingleReader = true });
    // Small to start: most sessions wait on a few requests at a time, and 10,000 sessions with
    // the default 31 buckets each would cost about 6 MiB for nothing.
    private readonly ConcurrentDictionary<long, string> _waiting = new(concurrencyLevel: 1, capacity: 4);
    private readonly ConcurrentDictionary<string, TaskCompletionSource<object>> _claims = new(concurrencyLevel: 1, capacity: 4, StringComparer.Ordinal);
    private readonly CancellationTokenSource _ended = new();
    private WebSocketCloseStatus _closeStatus = WebSocketCloseStatus.NormalClosure;
    private string? _endReason;
    private IActorRef? _ref;

    public AgentSession(WebSocket socket, CoordinatorRuntime runtime, string remote)
    {
        _socket = socket;
        _runtime = runtime;
        _remote = remote;
    }

    public string Node { get; private set; } = "?";

    public IActorRef Ref => _ref ?? throw new InvalidOperationException("the session has not said hello yet");

    private SessionLog Log => _runtime.Sessions.Log;

    private string SessionName => _ref?.Path.ToStringWithoutAddress() ?? "(before hello)";

    public async Task RunAsync(CancellationToken shutdown)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(shutdown, _ended.Token);
        var writer = WriteLoopAsync();
        var opened = false;
        try
        {
            if (await ReceiveFrameAsync(linked.Token).ConfigureAwait(false) is not HelloFrame hello)
            {
                throw new SessionViolation("hello-required", "the first frame of a session must be hello");
            }

            if (LockLimits.CheckNode(hello.Node) is { } badNode)
            {
                throw new SessionViolation("bad-frame", badNode);
            }

            var held = hello.Held ?? [];
            if (held.FirstOrDefault(h => LockLimits.CheckKey(h.Key) is not null || h.Token <= 0) is { } badHeld)
            {
                throw new SessionViolation("bad-frame", $"held lock '{badHeld.Key}' with token {badHeld.Token} is not valid");
            }

            Node = hello.Node;
            _ref = _runtime.System.ActorOf(SessionOwner.Props(TrySend), $"session-{_runtime.Sessions.NextSessionId()}");
            var welcome = await _runtime.Sessions.OpenAsync(this, held).ConfigureAwait(false);
            opened = true;
            Log.Opened(Node, SessionName, _remote, held.Count, welcome.Claimed.Count);
            _outbox.Writer.TryWrite(welcome);

            while (await ReceiveFrameAsync(linked.Token).ConfigureAwait(false) is { } frame)
            {
                Handle(frame);
            }
        }
        catch (SessionViolation violation)
        {
            Log.FrameRefused(Node, SessionName, violation.Code, violation.Message);
            _outbox.Writer.TryWrite(new ErrorFrame(null, violation.Code, violation.Message));
            SetEnd($"protocol violation ({violation.Code}): {violation.Message}", WebSocketCloseStatus.PolicyViolation);
        }
        catch (OperationCanceledException) when (_ended.IsCancellationRequested)
        {
            // Ended from outside (replacement); the reason is already set.
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            SetEnd("the coordinator is shutting down", WebSocketCloseStatus.EndpointUnavailable);
        }
        catch (Exception lost) when (lost is WebSocketException or IOException or OperationCanceledException)
        {
            SetEnd($"connection lost: {lost.Message}", WebSocketCloseStatus.NormalClosure);
        }
        finally
        {
            // Terminate first: lock actors take the fail path before anything else can happen.
            _endReason ??= "closed by the agent";
            Terminate(_endReason);
            if (opened)
            {
                _runtime.Sessions.Remove(this);
            }

            Log.Closed(Node, SessionName, _endReason);
            _outbox.Writer.TryComplete();
            await writer.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Ends the session from outside (its node opened a new one): the close frame goes out after
    /// any queued frames, and the socket is aborted if the agent does not answer it in time.
    /// </summary>
    public void End(string reason)
    {
        SetEnd(reason, WebSocketCloseStatus.NormalClosure);
        Terminate(reason);
        _outbox.Writer.TryComplete();
        _ended.CancelAfter(CloseTimeout);
    }

    private void Terminate(string reason)
    {
        if (_ref is { } owner)
        {
            _runtime.Services.EndReasons.Record(owner, reason);
            _runtime.System.Stop(owner);
        }
    }

    internal Task<object> ExpectClaimReply(string key)
    {
        var reply = new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously);
        _claims[key] = reply;
        return reply.Task;
    }

    // The first reason wins: a replaced session that then sees its socket close was replaced.
    private void SetEnd(string reason, WebSocketCloseStatus status)
    {
        if (_endReason is null)
        {
            _endReason = reason;
            _closeStatus = status;
        }
    }

    private sealed class SessionViolation(string code, string message) : Exception(message)
    {
        public string Code { get; } = code;
    }
}
