using System.Globalization;
using LayerLock.LoadDriver.Systems;
using Microsoft.Extensions.Logging;

namespace LayerLock.LoadDriver.Cli;

/// <summary>
/// <c>hold</c> (not in the usage text: the kill workload starts it): connects one client, takes one
/// lock through the same adapter a run uses, prints <c>HELD key</c> on stdout and then just keeps
/// the client alive, renewals running, as a real holder would — until it is killed (the point), its
/// stdin closes (the parent went away) or <see cref="MaxLife"/> passes.
/// </summary>
public static class HoldCommand
{
    public const string Name = "hold";
    public const string HeldPrefix = "HELD ";

    /// <summary>Appended to the key for the holder's warm-up lock ('-' sorts before '/', so <c>K-…</c> lies outside <c>K/…</c>).</summary>
    public const string WarmupSuffix = "-holder-warmup";

    /// <summary>Bounds a holder whose parent neither kills it nor closes its stdin.</summary>
    public static readonly TimeSpan MaxLife = TimeSpan.FromMinutes(15);

    private static readonly TimeSpan SetupTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan ReleaseTimeout = TimeSpan.FromSeconds(5);

    /// <summary>The arguments that make a holder with exactly <paramref name="options"/>.</summary>
    public static IReadOnlyList<string> Arguments(string system, LockSystemOptions options, string key, string node) =>
    [
        Name, "--system", system, "--endpoint", options.Endpoint, "--key", key, "--node", node,
        "--ttl", Milliseconds(options.Ttl), "--retry-ms", options.RetryInterval.TotalMilliseconds.ToString(CultureInfo.InvariantCulture),
        "--wait", Milliseconds(options.Wait), "--release-on-disconnect", options.ReleaseOnDisconnect ? "true" : "false",
    ];

    /// <returns>The process exit code: 0 released after stdin closed, 1 the lock could not be taken.</returns>
    /// <exception cref="UsageException">Bad flags.</exception>
    public static async Task<int> RunAsync(CommandLine line, ILoggerFactory logging)
    {
        var systemName = line.OneOf("system", LockSystems.Names);
        var key = line.Required("key");
        var node = line.Required("node");
        var options = new LockSystemOptions(
            line.Required("endpoint"),
            line.Duration("ttl", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1)),
            TimeSpan.FromMilliseconds(line.Number("retry-ms", 1, 0, 1000)),
            line.Duration("wait", TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(10)))
        {
            ReleaseOnDisconnect = line.OneOf("release-on-disconnect", ["true", "false"]) == "true",
        };
        if (line.Unread().Keys.FirstOrDefault() is { } unknown)
        {
            throw new UsageException($"unknown flag --{unknown} for {Name}");
        }

        ILockSystem system;
        try
        {
            system = LockSystems.Create(systemName, options, logging.CreateLogger("CoordinatorLink"));
        }
        catch (ArgumentException error)
        {
            throw new UsageException(error.Message);
        }

        await using (system.ConfigureAwait(false))
        {
            using var setup = new CancellationTokenSource(SetupTimeout);
            ILockClient? client = null;
            LockHandle held;
            try
            {
                client = await system.ConnectAsync(node, setup.Token).ConfigureAwait(false);

                // Warm, as a long-running holder is: a lock of its own taken and released first, so the
                // client's release path, which its renewals share (EVALSHA on Redis), is compiled before
                // the first renewal of the measured lock is due (83 ms after it under Redis's aggressive
                // profile). The key sorts outside the measured key's prefix, which the etcd probe counts.
                var warmup = await client.AcquireAsync(key + WarmupSuffix, setup.Token).ConfigureAwait(false);
                await client.ReleaseAsync(warmup, setup.Token).ConfigureAwait(false);
                held = await client.AcquireAsync(key, setup.Token).ConfigureAwait(false);
            }
            catch (Exception error) when (error is LockSystemException or OperationCanceledException)
            {
                Console.Error.WriteLine($"load-driver hold: {node} could not take {key} on {systemName} within {SetupTimeout.TotalSeconds:0} s: {error.Message}");
                if (client is not null)
                {
                    await client.DisposeAsync().ConfigureAwait(false);
                }

                return 1;
            }

            await using (client.ConfigureAwait(false))
            {
                await Console.Out.WriteLineAsync(HeldPrefix + key).ConfigureAwait(false);
                await Console.Out.FlushAsync().ConfigureAwait(false);

                // Console reads block a thread whatever the API: read on a thread of its own (not one of
                // the pool's two on this machine, which the client's renewals need), wait with a bound.
                try
                {
                    await Task.Factory.StartNew(() => Console.In.ReadToEnd(), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                        .WaitAsync(MaxLife).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // Nobody killed us in time: let go.
                }

                using var release = new CancellationTokenSource(ReleaseTimeout);
                try
                {
                    await client.ReleaseAsync(held, release.Token).ConfigureAwait(false);
                }
                catch (Exception error) when (error is LockSystemException or OperationCanceledException)
                {
                    Console.Error.WriteLine($"load-driver hold: release of {key} by {node} failed: {error.Message}");
                }
            }
        }

        return 0;
    }

    private static string Milliseconds(TimeSpan span) => span.TotalMilliseconds.ToString(CultureInfo.InvariantCulture) + "ms";
}
