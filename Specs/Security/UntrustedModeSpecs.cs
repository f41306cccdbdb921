using Akka.Actor;
using Akka.TestKit;
using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Agents;
using LayerLock.Messages.Locks;
using LayerLock.Specs.Locks.Contract;
using Xunit;

namespace LayerLock.Specs.Security;

/// <summary>
/// An agent that misbehaves over Akka.Remote: this spec's ActorSystem associates with a real
/// Coordinator (untrusted mode, only <c>/user/lock-manager</c> trusted for selections) and tries
/// what remoting would allow a trusted peer — selections past the lock manager, PoisonPill and
/// Kill, DeathWatch, remote deployment. A bystander agent holds a lock throughout; it keeps it,
/// <c>GET /locks</c> does not change, and the Coordinator still grants.
/// </summary>
public sealed class UntrustedModeSpecs() : Akka.TestKit.Xunit2.TestKit(RemoteLockClient.AgentConfig)
{
    private const string Key = "sha256:6666666666666666666666666666666666666666666666666666666666666666";

    /// <summary>A starved 2-core run can hold a message back for seconds; no positive wait lasts this long when the spec passes.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(15);

    /// <summary>How long a dropped message is given to show an effect anyway.</summary>
    private static readonly TimeSpan Quiet = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Selections_past_the_lock_manager_and_lock_requests_without_a_session_should_be_dropped()
    {
        await using var scene = await SceneAsync();
        var locks = await scene.LocksAsync();
        var attacker = CreateTestProbe();
        var root = scene.LockManagerPath[..scene.LockManagerPath.IndexOf("/user/", StringComparison.Ordinal)];

        // Straight at the bystander's lock actor and at the sessions, past the one trusted path.
        foreach (var path in new[] { $"/user/{LockManager.Name}/{ActorNames.ForKey(Key)}", $"/user/{LockManager.Name}/*", "/user/agents/*", "/user/*", "/user/http-locks" })
        {
            Sys.ActorSelection(root + path).Tell(new ReleaseLock(Key, "holder-a", scene.Token, false, "stolen"), attacker.Ref);
            Sys.ActorSelection(root + path).Tell(new Identify(path), attacker.Ref);
        }

        // Through the trusted path, but as no registered agent: a lock request must come from a session.
        Sys.ActorSelection(scene.LockManagerPath).Tell(new ReleaseLock(Key, "holder-a", scene.Token, false, "stolen"), attacker.Ref);
        Sys.ActorSelection(scene.LockManagerPath).Tell(new AcquireLock("sha256:sessionless", "intruder", 1, TimeSpan.Zero, TimeSpan.FromMinutes(10)), attacker.Ref);

        await attacker.ExpectNoMsgAsync(Quiet);
        Assert.Null(scene.Coordinator.Table.Get("sha256:sessionless"));
        await scene.AssertUnaffectedAsync(locks);
    }

    [Fact]
    public async Task PoisonPill_and_Kill_should_stop_neither_the_lock_manager_nor_a_session()
    {
        await using var scene = await SceneAsync();
        var locks = await scene.LocksAsync();
        var (agent, session) = await RegisterAsync(scene, "intruder");
        var lockManager = await Sys.ActorSelection(scene.LockManagerPath).ResolveOne(Bound);

        Sys.ActorSelection(scene.LockManagerPath).Tell(PoisonPill.Instance);
        Sys.ActorSelection(scene.LockManagerPath).Tell(Kill.Instance);
        lockManager.Tell(PoisonPill.Instance);
        lockManager.Tell(Kill.Instance);
        session.Tell(PoisonPill.Instance);
        session.Tell(Kill.Instance);

        await AssertSessionAnswersAsync(agent, session);
        await scene.AssertUnaffectedAsync(locks);
    }

    [Fact]
    public async Task Watching_a_coordinator_actor_should_only_tell_when_it_stops_for_its_own_reasons()
    {
        await using var scene = await SceneAsync();
        var locks = await scene.LocksAsync();
        var (agent, session) = await RegisterAsync(scene, "intruder");
        var lockManager = await Sys.ActorSelection(scene.LockManagerPath).ResolveOne(Bound);
        var watcher = CreateTestProbe();

        await watcher.WatchAsync(lockManager);
        await watcher.WatchAsync(session);

        await watcher.ExpectNoMsgAsync(Quiet);
        await AssertSessionAnswersAsync(agent, session);
        await scene.AssertUnaffectedAsync(locks);

        // Akka.NET delivers a remote Watch in untrusted mode (it is a system message, not
        // IPossiblyHarmful): the watcher only learns when the actor stops for its own reasons —
        // here its node registering again — and the Coordinator goes on.
        await RegisterAsync(scene, "intruder");
        await watcher.ExpectTerminatedAsync(session, Bound);
        await scene.AssertUnaffectedAsync(locks);
    }

    [Fact]
    public async Task A_remote_deployment_onto_the_coordinator_should_not_create_the_actor()
    {
        await using var scene = await SceneAsync();
        var locks = await scene.LocksAsync();
        var coordinatorAddress = ActorPath.Parse(scene.LockManagerPath).Address;
        var attacker = CreateTestProbe();

        var deployed = Sys.ActorOf(Props.Create<Echo>().WithDeploy(new Deploy(new RemoteScope(coordinatorAddress))), "intruder");
        attacker.Send(deployed, new Identify("deployed"));
        var identity = await attacker.ExpectMsgAsync<ActorIdentity>(Bound);
        attacker.Send(deployed, new Identify("again"));
        var again = await attacker.ExpectMsgAsync<ActorIdentity>(Bound);

        Assert.Equal(coordinatorAddress, deployed.Path.Address);
        Assert.Null(identity.Subject);
        Assert.Null(again.Subject);
        Assert.Equal(0, Echo.Started);
        await scene.AssertUnaffectedAsync(locks);
    }

    private async Task<(TestProbe Agent, IActorRef Session)> RegisterAsync(Scene scene, string node)
    {
        var agent = CreateTestProbe();
        Sys.ActorSelection(scene.LockManagerPath).Tell(new RegisterAgent(node, []), agent.Ref);
        await agent.ExpectMsgAsync<AgentRegistered>(Bound);
        return (agent, agent.LastSender);
    }

    /// <summary>The session is alive: it answers its agent's reconciliation.</summary>
    private static async Task AssertSessionAnswersAsync(TestProbe agent, IActorRef session)
    {
        agent.Send(session, new ReconcileHeld([], 0));
        await agent.FishForMessageAsync(m => m is LinkAlive, Bound);
    }

    private static async Task<Scene> SceneAsync()
    {
        var coordinator = await RunningCoordinator.StartAsync();
        var holder = await RemoteLockClient.ConnectAsync(coordinator.BaseAddress, "holder-a");
        var token = (await (await holder.LockAsync(Key, TimeSpan.Zero)).Outcome.WaitAsync(Bound)).Token;
        using var http = new HttpClient { BaseAddress = coordinator.BaseAddress, Timeout = Bound };
        var link = await System.Net.Http.Json.HttpClientJsonExtensions.GetFromJsonAsync<System.Text.Json.JsonElement>(http, "/v1/agent-link");
        return new Scene(coordinator, holder, token, link.GetProperty("lock_manager").GetString()!);
    }

    private sealed record Scene(RunningCoordinator Coordinator, RemoteLockClient Holder, long Token, string LockManagerPath) : IAsyncDisposable
    {
        /// <summary><c>GET /locks</c> without <c>held_ms</c>, which grows by itself.</summary>
        public async Task<string> LocksAsync()
        {
            using var http = new HttpClient { BaseAddress = Coordinator.BaseAddress, Timeout = Bound };
            var locks = System.Text.Json.Nodes.JsonNode.Parse(await http.GetStringAsync("/locks"))!;
            foreach (var entry in locks["locks"]!.AsArray())
            {
                entry!.AsObject().Remove("held_ms");
            }

            return locks.ToJsonString();
        }

        /// <summary>The bystander still holds its lock with the same token, <c>GET /locks</c> is as before, and the Coordinator still grants.</summary>
        public async Task AssertUnaffectedAsync(string locksBefore)
        {
            Assert.Equal(("holder-a", Token), (Coordinator.Table.Get(Key)?.Holder, Coordinator.Table.Get(Key)?.Token));
            Assert.Equal(locksBefore, await LocksAsync());
            await using var fresh = await RemoteLockClient.ConnectAsync(Coordinator.BaseAddress, "fresh");
            Assert.True((await (await fresh.LockAsync("sha256:fresh", TimeSpan.Zero)).Outcome.WaitAsync(Bound)).Acquired);
        }

        public async ValueTask DisposeAsync()
        {
            await Holder.DisposeAsync();
            await Coordinator.DisposeAsync();
        }
    }

    private sealed class Echo : ReceiveActor
    {
        public static int Started;

        public Echo()
        {
            Interlocked.Increment(ref Started);
            ReceiveAny(message => Sender.Tell(message));
        }
    }
}
