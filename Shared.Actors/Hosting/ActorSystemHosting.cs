using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LayerLock.Actors.Hosting;

/// <summary>Registers an <see cref="ActorSystem"/> with the generic host (the role Akka.Hosting plays).</summary>
public static class ActorSystemHosting
{
    /// <summary>
    /// Adds one <see cref="ActorSystem"/> singleton, logging through the host's
    /// <see cref="ILoggerFactory"/>, and stops every actor when the host stops.
    /// <paramref name="onStarted"/> spawns the top-level actors.
    /// </summary>
    public static IServiceCollection AddActorSystem(
        this IServiceCollection services,
        string name,
        Action<IServiceProvider, ActorSystem>? onStarted = null)
    {
        services.AddSingleton(provider => new ActorSystem(
            name,
            provider.GetRequiredService<ILoggerFactory>(),
            provider.GetService<TimeProvider>()));
        services.AddHostedService(provider => new ActorSystemService(
            provider.GetRequiredService<ActorSystem>(),
            system => onStarted?.Invoke(provider, system)));
        return services;
    }

    private sealed class ActorSystemService(ActorSystem system, Action<ActorSystem> onStarted) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            onStarted(system);
            return Task.CompletedTask;
        }

        public async Task StopAsync(CancellationToken cancellationToken) =>
            await system.DisposeAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
    }
}
