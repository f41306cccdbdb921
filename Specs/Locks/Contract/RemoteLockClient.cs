using System.Collections.Concurrent;
using System.Net.Http.Json;
using Akka.Configuration;
using LayerLock.Messages.Serialization;
using LayerLock.NodeAgent.Coordination;
using Microsoft.Extensions.Logging.Abstractions;

namespace LayerLock.Specs.Locks.Contract;

/// <summary>A node talking to a running Coordinator over Akka.Remote, through the agent's own <see cref="CoordinatorLink"/>.</summary>
internal sealed class RemoteLockClient : ILockClient
{
    private readonly CoordinatorLink _link;
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _attempts = new();
    private long _attemptIds;

    private RemoteLockClient(string node, CoordinatorLink link)
    {
        Node = node;
        _link = link;
    }

    public string Node { get; }

    /// <summary>The locks this node believes it holds (<see cref="CoordinatorLink.Held"/>).</summary>
    public IReadOnlyCollection<LockLease> Held => _link.Held;

    /// <summary>Learns the lock manager's address from <c>GET /v1/agent-link</c>, starts a link and waits until it is registered.</summary>
    /// <param name="token">The Coordinator's shared secret, for <c>GET /v1/agent-link</c> and the registration; null = none.</param>
    /// <param name="akka">The agent's <c>akka { }</c> settings; null = <see cref="AgentConfig"/>.</param>
    public static async Task<RemoteLockClient> ConnectAsync(Uri coordinator, string node, string? token = null, Config? akka = null)
    {
        using var http = new HttpClient { BaseAddress = coordinator, Timeout = TimeSpan.FromSeconds(10) };
        if (token is not null)
        {
            http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        }

        var link = await http.GetFromJsonAsync<AgentLink>("/v1/agent-link") ?? throw new InvalidOperationException("no agent-link answer");
        var options = new LockClientOptions(node, link.lock_manager, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 0.2) { AuthToken = token };
        var client = new RemoteLockClient(node, new CoordinatorLink(options, akka ?? AgentConfig, NullLogger.Instance));
        client._link.Start();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await client._link.WaitConnectedAsync(timeout.Token);
        return client;
    }

    /// <summary>The agent's side: remoting on a free loopback port, our serializer.</summary>
    public static Config AgentConfig { get; } = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.actor.provider = remote
        akka.remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
        """).WithFallback(ConfigurationFactory.ParseString(LayerLockSerializer.Hocon));

    public Task<LockAttempt> LockAsync(string key, TimeSpan wait)
    {
        var attemptId = Interlocked.Increment(ref _attemptIds);
        var cancel = new CancellationTokenSource();
        _attempts[attemptId] = cancel;
        return Task.FromResult(new LockAttempt(key, attemptId, OutcomeAsync(key, wait, cancel.Token)));
    }

    public async Task<UnlockOutcome> UnlockAsync(string key, long token, bool success = true, string? error = null)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            var released = await _link.ReleaseAsync(new LockLease(key, token), success, error, timeout.Token);
            return new UnlockOutcome(true, released.Next, null);
        }
        catch (LockRefusedException refused)
        {
            return new UnlockOutcome(false, null, refused.Message);
        }
    }

    public Task CancelAsync(LockAttempt attempt)
    {
        if (_attempts.TryGetValue(attempt.RequestId, out var cancel))
        {
            cancel.Cancel();
        }

        return Task.CompletedTask;
    }

    /// <summary>The agent's ActorSystem goes away, as when its process is killed: the Coordinator sees the association end.</summary>
    public async Task DropAsync() => await _link.DisposeAsync();

    public async ValueTask DisposeAsync() => await _link.DisposeAsync();

    private async Task<AttemptOutcome> OutcomeAsync(string key, TimeSpan wait, CancellationToken cancellation)
    {
        try
        {
            var lease = await _link.AcquireAsync(key, wait, null, cancellation);
            return new AttemptOutcome(true, lease.Token, null, null);
        }
        catch (LockNotAcquiredException notAcquired)
        {
            return new AttemptOutcome(false, 0, notAcquired.Reason, notAcquired.Holder);
        }
        catch (OperationCanceledException)
        {
            return new AttemptOutcome(false, 0, "cancelled", null);
        }
    }

    private sealed record AgentLink(string address, string lock_manager);
}
