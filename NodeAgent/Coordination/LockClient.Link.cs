using Akka.Actor;
using Akka.Remote;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;

namespace LayerLock.NodeAgent.Coordination;

/// <summary>The link itself: registration, heartbeat, link loss and the lease grace.</summary>
internal sealed partial class LockClient
{
    /// <summary>Starts one registration attempt; its answer, a refusal or its timeout ends it.</summary>
    private void Register()
    {
        if (_session is not null)
        {
            return;
        }

        _registering = true;
        Timers.StartSingleTimer(RegisterTimer, RegisterTick.Instance, _options.RegisterTimeout);
        if (_options.Discover is { } discover)
        {
            // Where the lock manager is comes from the Coordinator's HTTP API each time, so a
            // Coordinator restarted on another Akka.Remote port is still found.
            discover(CancellationToken.None).PipeTo(Self, success: path => new Discovered(path), failure: error => new DiscoveryFailed(error.GetBaseException().Message));
            return;
        }

        SendRegistration(_options.LockManagerPath);
    }

    private void SendRegistration(string lockManagerPath)
    {
        _lockManagerPath = lockManagerPath;
        // A lock whose release is not confirmed is not presented: a new session that does not
        // claim it ends the old one, which releases it on the fail path.
        var held = _held.Values.Select(l => new HeldLock(l.Key, l.Token)).ToList();
        try
        {
            Context.ActorSelection(lockManagerPath).Tell(new RegisterAgent(_options.Node, held, _options.AuthToken, _options.PeerUrl), Self);
        }
        catch (RemoteTransportException noTransport)
        {
            // E.g. an akka.ssl.tcp:// Coordinator and no remote-tls here: thrown at once, every time.
            // Retried with backoff like any other failed attempt, never by restarting this actor.
            Backoff($"{noTransport.Message} (a coordinator at akka.ssl.tcp:// needs layerlock.agent.remote-tls)");
        }
    }

    /// <summary>The attempt failed: the next one after a doubling, capped, jittered delay.</summary>
    private void Backoff(string reason)
    {
        _registering = false;
        var delay = _options.ReconnectDelay(_attempt++, Random.Shared.NextDouble());
        _log.Unreachable(_lockManagerPath ?? _options.CoordinatorName, reason, (long)delay.TotalMilliseconds);
        Timers.StartSingleTimer(RegisterTimer, RegisterTick.Instance, delay);
    }

    private void OnRegistered(AgentRegistered registered)
    {
        if (Sender.Equals(_session))
        {
            return;
        }

        // One session per node is open at the Coordinator, and a newer one replaces the older:
        // if two attempts were answered (the first timed out here), the later answer wins.
        _registering = false;
        Timers.Cancel(RegisterTimer);
        Timers.Cancel(LeaseGraceTimer);
        _attempt = 0;
        _session = Sender;
        _grantsSeen = 0;
        _handedBack.Clear();
        _lastAlive = Environment.TickCount64;
        foreach (var rejected in registered.Rejected)
        {
            if (_held.Remove(rejected.Key, out var lease))
            {
                _state.PublishHeld(_held.Values);
                _log.Lost(lease.Key, lease.Token, rejected.Reason);
                lease.MarkLost(rejected.Reason);
            }
        }

        // Releases the old session never confirmed: this session was opened without them, so the
        // old session ended and they took the fail path.
        foreach (var release in _releases.Values.ToList())
        {
            _releases.Remove(release.Key);
            release.Done.TrySetResult(new ReleaseConfirmation(null, ViaFailPath: true));
        }

        _log.Opened(_options.Node, _lockManagerPath ?? _options.CoordinatorName, registered.Session, registered.Claimed.Count, registered.Rejected.Count);
        _state.SetConnected();

        // The layers this node serves to peers, for the new session's record of them.
        if (_layers is not null)
        {
            _session.Tell(new AgentLayers(_layers), Self);
        }

        // Requests that were waiting on the previous session wait again on this one.
        foreach (var (requestId, pending) in _pending)
        {
            _session.Tell(new AcquireLock(pending.Key, _options.Node, requestId, pending.Wait, Registry: pending.Registry, ExcludeSources: pending.Exclude), Self);
        }
    }

    private void OnHeartbeat()
    {
        if (_session is null)
        {
            return;
        }

        if (Environment.TickCount64 - _lastAlive > _options.LinkTimeout.TotalMilliseconds)
        {
            LinkLost($"the coordinator did not answer for {_options.LinkTimeout.TotalMilliseconds:0} ms");
            return;
        }

        _session.Tell(new ReconcileHeld([.. _held.Values.Select(l => new HeldLock(l.Key, l.Token))], _grantsSeen), Self);
    }

    private void LinkLost(string reason)
    {
        _session = null;
        _state.SetDisconnected();
        _log.Closed(_options.Node, reason, (long)_options.ReconnectInitial.TotalMilliseconds);
        foreach (var release in _releases.Values)
        {
            release.SentOnSession = false;
        }

        if (_held.Count > 0)
        {
            Timers.StartSingleTimer(LeaseGraceTimer, LeaseGraceEnded.Instance, _options.LeaseGrace);
        }

        _attempt = 0;
        _registering = false;
        Timers.StartSingleTimer(RegisterTimer, RegisterTick.Instance, _options.ReconnectInitial);
    }

    private void OnLeaseGraceEnded()
    {
        if (_session is not null)
        {
            return;
        }

        var reason = $"no session with the coordinator for {_options.LeaseGrace.TotalMilliseconds:0} ms: the lock has been failed over";
        foreach (var lease in _held.Values)
        {
            _log.Lost(lease.Key, lease.Token, reason);
            lease.MarkLost(reason);
        }

        _held.Clear();
        _state.PublishHeld(_held.Values);
    }

    private sealed record Discovered(string LockManagerPath);

    private sealed record DiscoveryFailed(string Reason);

    private sealed record RegisterTick
    {
        public static readonly RegisterTick Instance = new();
    }

    private sealed record HeartbeatTick
    {
        public static readonly HeartbeatTick Instance = new();
    }

    private sealed record LeaseGraceEnded
    {
        public static readonly LeaseGraceEnded Instance = new();
    }
}
