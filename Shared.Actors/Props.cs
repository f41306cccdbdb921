namespace LayerLock.Actors;

/// <summary>How to make an actor. Immutable; one <see cref="Props"/> can spawn many actors.</summary>
/// <param name="Producer">Called once per spawned actor, on the spawning thread.</param>
public sealed record Props(Func<IActor> Producer)
{
    /// <summary>Props for an actor with a public parameterless constructor.</summary>
    public static Props Create<TActor>()
        where TActor : IActor, new() => new(static () => new TActor());

    /// <summary>Props from a factory, e.g. <c>Props.FromProducer(() =&gt; new LayerLockActor(key))</c>.</summary>
    public static Props FromProducer(Func<IActor> producer)
    {
        ArgumentNullException.ThrowIfNull(producer);
        return new(producer);
    }
}
