namespace LayerLock.Actors;

/// <summary>
/// A set of actor references, compared by identity, that keeps a single member inline: most
/// cells watch, or are watched by, one actor, and a hash set per cell would cost more than the
/// cell itself. Mutable struct: use it only as a field, never copied.
/// </summary>
internal struct ActorRefSet
{
    private ActorRef? _one;
    private HashSet<ActorRef>? _many;

    public readonly int Count => _many?.Count ?? (_one is null ? 0 : 1);

    public bool Add(ActorRef actor)
    {
        if (_many is not null)
        {
            return _many.Add(actor);
        }

        if (_one is null)
        {
            _one = actor;
            return true;
        }

        if (ReferenceEquals(_one, actor))
        {
            return false;
        }

        _many = [_one, actor];
        _one = null;
        return true;
    }

    public bool Remove(ActorRef actor)
    {
        if (_many is not null)
        {
            return _many.Remove(actor);
        }

        if (ReferenceEquals(_one, actor))
        {
            _one = null;
            return true;
        }

        return false;
    }

    public readonly bool Contains(ActorRef actor) =>
        _many?.Contains(actor) ?? ReferenceEquals(_one, actor);

    /// <summary>Returns the members and empties the set.</summary>
    public ActorRef[] Drain()
    {
        ActorRef[] members = _many is not null ? [.. _many] : _one is not null ? [_one] : [];
        _one = null;
        _many = null;
        return members;
    }
}
