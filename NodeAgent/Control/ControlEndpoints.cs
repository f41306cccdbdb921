using System.Text.Json;
using Akka.Actor;
using Akka.Hosting;
using LayerLock.NodeAgent.Containerd;
using LayerLock.NodeAgent.Coordination;
using LayerLock.NodeAgent.Hosting;
using LayerLock.NodeAgent.Mirror;
using LayerLock.NodeAgent.Pulls;
using LayerLock.NodeAgent.RefCounts;

namespace LayerLock.NodeAgent.Control;

/// <summary>The agent's control API on its loopback port, for the <c>pull</c>, <c>refs</c>, <c>status</c> and <c>rm</c> verbs.</summary>
internal static class ControlEndpoints
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(30);

    public static void MapControl(this WebApplication app, int port, PullService pulls, CoordinatorLink client, TransferBoard board, IRequiredActor<RefCountActor> refCounts)
    {
        var settings = app.Services.GetRequiredService<AgentSettings>();
        app.MapPost("/v1/pull", (HttpContext context) => PullAsync(context, pulls)).RequireHost($"*:{port}");
        app.MapPost("/v1/rm", (HttpContext context) => RemoveAsync(context, pulls)).RequireHost($"*:{port}");
        app.MapGet("/v1/refs", async () =>
            Results.Json(new RefCountsBody((await refCounts.ActorRef.Ask<RefCountSnapshot>(GetRefCounts.Instance, AskTimeout)).Counts), AgentJsonContext.Default.RefCountsBody))
            .RequireHost($"*:{port}");
        app.MapGet("/v1/status", () =>
            Results.Json(
                new StatusBody(
                    settings.Node,
                    client.IsConnected,
                    settings.Coordinator,
                    [.. client.Held.Select(l => new HeldLockBody(l.Key, l.Token))],
                    [.. board.Active.Select(t => new TransferBody(t.Digest, t.State.ToString().ToLowerInvariant(), t.Position, t.Holder, t.Bytes, t.Source))]),
                AgentJsonContext.Default.StatusBody))
            .RequireHost($"*:{port}");
        app.MapGet("/healthz", () => Results.Text("ok")).RequireHost($"*:{port}");
    }

    private static async Task PullAsync(HttpContext context, PullService pulls)
    {
        var body = await ReadAsync(context, AgentJsonContext.Default.PullRequestBody);
        if (body?.Ref is not { Length: > 0 } reference)
        {
            await ErrorAsync(context, "body must be {\"ref\": \"<image reference>\"}");
            return;
        }

        context.Response.ContentType = "application/x-ndjson";
        await foreach (var pullEvent in pulls.Pull(reference, context.RequestAborted).ReadAllAsync(context.RequestAborted))
        {
            await context.Response.WriteAsync(JsonSerializer.Serialize(pullEvent, AgentJsonContext.Default.PullEvent) + "\n", context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    }

    private static async Task RemoveAsync(HttpContext context, PullService pulls)
    {
        var body = await ReadAsync(context, AgentJsonContext.Default.RemoveRequestBody);
        if (body?.Ref is not { Length: > 0 } reference)
        {
            await ErrorAsync(context, "body must be {\"ref\": \"<image reference>\"}");
            return;
        }

        try
        {
            var counts = await pulls.RemoveAsync(reference, context.RequestAborted);
            await context.Response.WriteAsJsonAsync(new RemovedBody(reference, counts), AgentJsonContext.Default.RemovedBody);
        }
        catch (Exception error) when (error is FormatException or CtrException or InvalidOperationException)
        {
            await ErrorAsync(context, error.Message);
        }
    }

    private static async Task<T?> ReadAsync<T>(HttpContext context, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
        where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(context.Request.Body, type, context.RequestAborted);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static Task ErrorAsync(HttpContext context, string error)
    {
        context.Response.StatusCode = StatusCodes.Status400BadRequest;
        return context.Response.WriteAsJsonAsync(new ControlErrorBody(error), AgentJsonContext.Default.ControlErrorBody);
    }
}
