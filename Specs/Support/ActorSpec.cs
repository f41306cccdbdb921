using LayerLock.Actors;
using LayerLock.Actors.TestKit;
using Xunit;

namespace LayerLock.Specs.Support;

/// <summary>
/// Gives each spec a fresh <see cref="ActorSystem"/> with captured logs, and disposes it after
/// (the role Akka.TestKit.Xunit2 plays).
/// </summary>
public abstract class ActorSpec : IAsyncLifetime
{
    protected ActorSpec()
    {
        Log = new CapturedLog();
        Sys = new ActorSystem("spec", Log);
    }

    protected ActorSystem Sys { get; }

    protected CapturedLog Log { get; }

    protected TestProbe CreateProbe() => new(Sys);

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync() => await Sys.DisposeAsync();
}
