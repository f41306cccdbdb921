using System.Text;
using LayerLock.Coordinator.Dashboard;
using LayerLock.Hosting;
using Microsoft.AspNetCore.Authentication;
using LayerLock.Messages.Http;

namespace LayerLock.Coordinator.Security;

/// <summary>
/// Optional shared-secret authentication: with <c>layerlock.coordinator.auth.token</c> set, every
/// HTTP call (agents' <c>GET /v1/agent-link</c> included) must carry <c>Authorization: Bearer &lt;token&gt;</c>;
/// agents present the same secret when they register over Akka.Remote.
/// Others get 401; the refusal is logged without the secret. <c>GET /healthz</c> stays open for
/// liveness probes, and the live page's login form and static assets for browsers; the page and
/// its event stream also take the login form's session cookie (<see cref="DashboardEndpoints"/>),
/// and a browser opening <c>/</c> without either is sent to <c>/login</c>.
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
            var path = context.Request.Path;
            var reason = path == "/healthz" || DashboardEndpoints.IsOpen(path) ? null : Presented(context.Request, expected);
            if (reason is null
                || (DashboardEndpoints.AcceptsCookie(path) && (await context.AuthenticateAsync(DashboardEndpoints.CookieScheme)).Succeeded))
            {
                await next(context);
                return;
            }

            if (path == "/" && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method)))
            {
                // A browser opening the page: to the login form, not a JSON 401.
                context.Response.StatusCode = StatusCodes.Status303SeeOther;
                context.Response.Headers.Location = "/login";
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
