using LayerLock.NodeAgent.Coordination;
using LayerLock.Specs.Locks.Contract;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace LayerLock.Specs.Sessions;

/// <summary>
/// A request made while the session's welcome is being handled is both the caller's to send and
/// the welcome's to resend; it must reach the Coordinator once, or it is granted twice (and the
/// second grant handed back as "gave up") or refused as a duplicate.
/// </summary>
public sealed class CoordinatorClientResendSpecs
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Requests_made_while_the_session_opens_should_each_reach_the_coordinator_once()
    {
        await using var coordinator = await RunningCoordinator.StartAsync();
        var acquires = new List<(string Key, Task<LockLease> Lease)>();
        for (var round = 0; round < 6; round++)
        {
            var options = new CoordinatorClientOptions(
                coordinator.BaseAddress, $"node-{round}", TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(500), 0.2, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2));
            var client = new CoordinatorClient(options, NullLogger.Instance);
            client.Start();

            // Keep asking, on fresh keys, across the moment the welcome arrives: the requests made
            // before it make the welcome's resend long, and the ones made during it race it.
            // Bounded, and light enough not to starve the specs running beside it.
            for (var i = 0; i < 2000 && (!client.IsConnected || i % 50 != 49); i++)
            {
                var key = $"resend/{round}/{i}";
                acquires.Add((key, client.AcquireAsync(key, TimeSpan.FromMinutes(1), null, CancellationToken.None)));
                await Task.Yield();
            }

            using var wait = new CancellationTokenSource(Patience);
            foreach (var (key, lease) in acquires)
            {
                Assert.Equal(key, (await lease.WaitAsync(wait.Token)).Key);
            }

            acquires.Clear();
            await client.DisposeAsync();
        }

        Assert.DoesNotContain(coordinator.LogLines, l => l.Contains("gave up before the grant", StringComparison.Ordinal));
        Assert.DoesNotContain(coordinator.LogLines, l => l.Contains("duplicate-request", StringComparison.Ordinal)
            || l.Contains("is still waiting", StringComparison.Ordinal));
    }
}
