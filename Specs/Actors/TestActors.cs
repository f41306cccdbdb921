using LayerLock.Actors;

namespace LayerLock.Specs.Actors;

/// <summary>Replies to every user message with the same message.</summary>
internal sealed class EchoActor : IActor
{
    public Task ReceiveAsync(IContext context)
    {
        if (context.Message is not (Started or Stopped))
        {
            context.Respond(context.Message);
        }

        return Task.CompletedTask;
    }
}

/// <summary>Hands every message it gets, lifecycle ones included, to a callback.</summary>
internal sealed class DelegateActor(Func<IContext, Task> receive) : IActor
{
    public Task ReceiveAsync(IContext context) => receive(context);

    public static Props Props(Func<IContext, Task> receive) => LayerLock.Actors.Props.FromProducer(() => new DelegateActor(receive));

    public static Props Props(Action<IContext> receive) => Props(context =>
    {
        receive(context);
        return Task.CompletedTask;
    });
}

/// <summary>Throws on every <see cref="Boom"/>.</summary>
internal sealed record Boom(string Text);
