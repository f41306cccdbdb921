using System.Net.Http.Json;
using System.Security.Cryptography.X509Certificates;
using LayerLock.Hosting.Configuration;
using LayerLock.NodeAgent.Coordination;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Security;

/// <summary>
/// Mutual TLS on the Akka.Remote agent link, from PEM files named in HOCON (<c>remote-tls</c>):
/// only a peer whose certificate chains to the configured CA gets a session — not one that speaks
/// plain TCP, and not one whose certificate another CA signed.
/// </summary>
public sealed class RemoteTlsSpecs(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    private const string Key = "sha256:5555555555555555555555555555555555555555555555555555555555555555";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    /// <summary>How long an agent that must not get in is given to try (several registration attempts).</summary>
    private static readonly TimeSpan Refused = TimeSpan.FromSeconds(4);

    private readonly TempDirectory _files = new();
    private readonly X509Certificate2 _ca = TestCertificates.CreateCa("layerlock-spec-ca");
    private readonly X509Certificate2 _rogueCa = TestCertificates.CreateCa("rogue-ca");

    public void Dispose()
    {
        _ca.Dispose();
        _rogueCa.Dispose();
        _files.Dispose();
    }

    [Fact]
    public async Task With_remote_tls_only_an_agent_whose_certificate_the_CA_signed_should_register_and_lock()
    {
        var coordinatorTls = TestCertificates.Issue(_files.Path, "coordinator", _ca, _ca);
        await using var coordinator = await RunningCoordinator.StartAsync($$"""
            layerlock.coordinator.remote-tls {
              certificate = "{{coordinatorTls.Certificate}}"
              key = "{{coordinatorTls.Key}}"
              ca = "{{coordinatorTls.Ca}}"
            }
            """);
        var lockManager = await LockManagerPathAsync(coordinator.BaseAddress);

        // Plain TCP to the TLS port (an agent without TLS has no transport for akka.ssl.tcp at all,
        // so it is told the akka.tcp address), and a certificate from another CA (it trusts ours,
        // so only the Coordinator can refuse it).
        Assert.StartsWith("akka.ssl.tcp://", lockManager, StringComparison.Ordinal);
        await using var plain = Link("plain-a", "akka.tcp://" + lockManager["akka.ssl.tcp://".Length..], null);
        await using var rogue = Link("rogue-b", lockManager, TestCertificates.Issue(_files.Path, "rogue-b", _rogueCa, _ca));
        plain.Start();
        rogue.Start();
        var refusals = await Task.WhenAll(NeverConnectedAsync(plain), NeverConnectedAsync(rogue));

        await using var trusted = Link("trusted-c", lockManager, TestCertificates.Issue(_files.Path, "trusted-c", _ca, _ca));
        trusted.Start();
        using var patience = new CancellationTokenSource(Patience);
        await trusted.WaitConnectedAsync(patience.Token);
        var lease = await trusted.AcquireAsync(Key, TimeSpan.Zero, null, patience.Token);

        foreach (var line in coordinator.LogLines.Where(l => !l.StartsWith("Request ", StringComparison.Ordinal)))
        {
            output.WriteLine(line);
        }

        Assert.All(refusals, Assert.True);
        Assert.Equal(("trusted-c", lease.Token), (coordinator.Table.Get(Key)?.Holder, coordinator.Table.Get(Key)?.Token));
        Assert.Equal(1, coordinator.Table.Count);
        Assert.DoesNotContain(coordinator.LogLines, l => l.StartsWith("session.opened", StringComparison.Ordinal) && !l.StartsWith("session.opened \"trusted-c\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_agent_without_remote_tls_told_a_TLS_coordinator_should_say_so_and_back_off()
    {
        var log = new CapturedLog();
        var options = new LockClientOptions("plain-a", "akka.ssl.tcp://layerlock@127.0.0.1:9/user/lock-manager", TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 0.2);
        await using var plain = new CoordinatorLink(options, RemoteLockClient.AgentConfig, log.CreateLogger("link"));
        plain.Start();

        var unreachable = await log.WaitForAsync(e => e.EventName == "session.unreachable", Patience);

        Assert.Contains("layerlock.agent.remote-tls", unreachable.Message, StringComparison.Ordinal);
        Assert.False(plain.IsConnected);
    }

    private static CoordinatorLink Link(string node, string lockManager, RemoteTls? tls) =>
        new(new LockClientOptions(node, lockManager, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 0.2),
            RemoteLockClient.AgentConfig, new CapturedLog().CreateLogger(node), tls);

    /// <returns>True when <paramref name="link"/> had no session for all of <see cref="Refused"/>.</returns>
    private static async Task<bool> NeverConnectedAsync(CoordinatorLink link)
    {
        using var refused = new CancellationTokenSource(Refused);
        try
        {
            await link.WaitConnectedAsync(refused.Token);
            return false;
        }
        catch (OperationCanceledException) when (refused.IsCancellationRequested)
        {
            return !link.IsConnected;
        }
    }

    private static async Task<string> LockManagerPathAsync(Uri coordinator)
    {
        using var http = new HttpClient { BaseAddress = coordinator, Timeout = Patience };
        var link = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/agent-link");
        return link.GetProperty("lock_manager").GetString()!;
    }
}
