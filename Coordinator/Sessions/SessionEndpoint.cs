using LayerLock.Coordinator.Hosting;

namespace LayerLock.Coordinator.Sessions;

internal static class SessionEndpoint
{
    public const string Path = "/v1/session";

    /// <summary>Maps the agents' WebSocket endpoint, with keep-alive ping/pong from the settings.</summary>
    public static void MapSessions(this WebApplication app)
    {
        app.Map(Path, async (HttpContext context, CoordinatorRuntime runtime, IHostApplicationLifetime lifetime) =>
        {
            if (!context.WebSockets.IsWebSocketRequest)
            {
                context.Response.StatusCode = StatusCodes.Status400BadRequest;
                await context.Response.WriteAsync($"{Path} takes WebSocket sessions only\n");
                return;
            }

            var socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext
            {
                KeepAliveInterval = runtime.Settings.KeepAliveInterval,
                KeepAliveTimeout = runtime.Settings.KeepAliveTimeout,
            });
            var remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
            await new AgentSession(socket, runtime, remote).RunAsync(lifetime.ApplicationStopping);
        });
    }
}
