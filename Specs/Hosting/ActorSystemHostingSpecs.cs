using LayerLock.Actors;
using LayerLock.Actors.Hosting;
using LayerLock.Specs.Actors;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Xunit;

namespace LayerLock.Specs.Hosting;

public sealed class ActorSystemHostingSpecs
{
    [Fact]
    public async Task The_host_should_start_the_actor_system_and_stop_every_actor_when_it_stops()
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ActorRef? manager = null;
        var builder = Host.CreateApplicationBuilder();
        builder.Services.AddActorSystem("hosted", (_, system) => manager = system.Spawn(DelegateActor.Props(context =>
        {
            switch (context.Message)
            {
                case Stopped:
                    stopped.SetResult();
                    break;
                case "ping":
                    context.Respond("pong");
                    break;
            }
        }), "lock-manager"));
        using var host = builder.Build();

        await host.StartAsync();
        var system = host.Services.GetRequiredService<ActorSystem>();
        Assert.Equal("hosted", system.Name);
        Assert.Equal("pong", await manager!.Ask<string>("ping", TimeSpan.FromSeconds(5)));
        await host.StopAsync();

        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(system.WhenTerminated.IsCompleted);
        Assert.Throws<ObjectDisposedException>(() => system.Spawn(Props.Create<EchoActor>(), "late"));
    }
}
