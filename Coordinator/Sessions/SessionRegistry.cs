using LayerLock.Coordinator.Hosting;
using LayerLock.Messages.Locks;
using LayerLock.Messages.Session;

namespace LayerLock.Coordinator.Sessions;

/// <summary>One live session per node: a new hello for a node replaces its old session, and the
/// held locks it presents carry over instead of failing.</summary>
internal sealed class SessionRegistry(CoordinatorRuntime runtime, SessionLog log)
{
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(5);
    private readonly Lock _sync = new();
    private readonly Dictionary<string, AgentSession> _byNode = new(StringComparer.Ordinal);
    private long _sessionIds;

    public SessionLog Log => log;

    public long NextSessionId() => Interlocked.Increment(ref _sessionIds);

    public int Count
    {
        get
        {
            lock (_sync)
            {
                return _byNode.Count;
            }
        }
    }

    /// <summary>
    /// Registers <paramref name="session"/> as its node's session: claims its held locks for it
    /// first, then ends the node's previous session, so the claimed locks never take the fail path.
    /// </summary>
    public async Task<WelcomeFrame> OpenAsync(AgentSession session, IReadOnlyList<HeldLock> held)
    {
        AgentSession? previous;
        lock (_sync)
        {
            _byNode.TryGetValue(session.Node, out previous);
            _byNode[session.Node] = session;
        }

        var claimed = new List<HeldLock>();
        var rejected = new List<RejectedClaim>();
        var claims = held.DistinctBy(h => h.Key)
            .Select(h => (Held: h, Reply: session.ExpectClaimReply(h.Key)))
            .ToList();
        foreach (var (h, _) in claims)
        {
            runtime.Manager.Tell(new ClaimLock(h.Key, session.Node, h.Token), session.Ref);
        }

        foreach (var (h, reply) in claims)
        {
            try
            {
                switch (await reply.WaitAsync(ClaimTimeout).ConfigureAwait(false))
                {
                    case ClaimAccepted:
                        claimed.Add(h);
                        break;
                    case ClaimRejected no:
                        rejected.Add(new RejectedClaim(h.Key, h.Token, no.Reason));
                        break;
                }
            }
            catch (TimeoutException)
            {
                rejected.Add(new RejectedClaim(h.Key, h.Token, "the coordinator did not answer the claim in time"));
            }
        }

        if (previous is not null)
        {
            log.Replaced(session.Node, previous.Ref.Path.ToStringWithoutAddress(), session.Ref.Path.ToStringWithoutAddress());
            previous.End("replaced by a new session of the same node");
        }

        return new WelcomeFrame(session.Node, session.Ref.Path.ToStringWithoutAddress(), claimed, rejected);
    }

    public void Remove(AgentSession session)
    {
        lock (_sync)
        {
            if (_byNode.TryGetValue(session.Node, out var current) && ReferenceEquals(current, session))
            {
                _byNode.Remove(session.Node);
            }
        }
    }
}
