using System.Text;
using LayerLock.Hosting;
using LayerLock.Messages.Http;

namespace LayerLock.Coordinator.Security;

/// <summary>
/// Optional shared-secret authentication: with <c>layerlock.coordinator.auth.token</c> set, every
/// HTTP call (agents' <c>GET /v1/agent-link</c> included) must carry <c>Authorization: Bearer &lt;token&gt;</c>;
/// agents present the same secret when they register over Akka.Remote.
/// Others get 401; the refusal is logged without the secret. <c>GET /healthz</c> stays open for
/// liveness probes.
/// </summary>
internal static partial class SharedSecretAuth
{
    public static void UseSharedSecret(this WebApplication app, string? token)
    {
        if (string.IsNullOrEmpty(token))
        {
            return;
        }

        var expected = Encoding.UTF8.GetBytes(token);
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("LayerLock.Coordinator.Security");
        app.Use(async (context, next) =>
        {
            var reason = context.Request.Path == "/healthz" ? null : Presented(context.Request, expected);
            if (reason is null)
            {
                await next(context);
                return;
            }

            LogRefused(log, $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}", context.Request.Path, reason);
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"layerlock\"";
            await context.Response.WriteAsJsonAsync(new ErrorBody($"unauthorized: {reason}"), HttpJsonContext.Default.ErrorBody);
        });
    }

    /// <returns>Null when the request carries the right token, else why not (never the token itself).</returns>
    private static string? Presented(HttpRequest request, byte[] expected) => BearerToken.Refusal(request.Headers.Authorization.ToString(), expected);

    /// <summary>Whether <paramref name="presented"/> is the secret, compared in constant time; the one check for HTTP calls and for agent registrations over Akka.Remote.</summary>
    public static bool Matches(byte[] expected, string? presented) => BearerToken.Matches(expected, presented);

    [LoggerMessage(EventId = 700, EventName = "auth.refused", Level = LogLevel.Warning,
        Message = "auth.refused {Remote} {Path}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string remote, string path, string reason);
}
