using System.Security.Claims;
using System.Text;
using System.Threading.RateLimiting;
using Akka.Actor;
using Akka.Hosting;
using LayerLock.Coordinator.Hosting;
using LayerLock.Hosting;
using LayerLock.Messages.Http;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.Http.Features;

namespace LayerLock.Coordinator.Dashboard;

/// <summary>
/// The live page (issue 13), on the HTTP API's listener: <c>GET /</c> (the page), <c>GET /ui/app.js</c>
/// and <c>/ui/app.css</c> (its only assets, embedded in the Coordinator; no CDN), <c>GET /events</c>
/// (Server-Sent Events from <see cref="DashboardFeed"/>), and with a bearer token configured
/// <c>GET/POST /login</c> and <c>POST /logout</c>.
/// <para>
/// With <c>layerlock.coordinator.auth.token</c> set, <c>/</c> and <c>/events</c> need the token:
/// as <c>Authorization: Bearer</c> (as every API call), or as the session cookie the login form sets
/// (ASP.NET Core cookie authentication: HttpOnly, SameSite=Strict, Secure over HTTPS, 12 h sliding;
/// its keys and the sessions live in memory, so a Coordinator restart signs every page out, and
/// signing out ends the session everywhere). The form takes 5 tries per 10 s from one client
/// address (ASP.NET Core rate limiting); more get 429. The cookie is accepted on
/// those page paths only, never on the lock API, so a page's cookie cannot be replayed against
/// <c>POST /lock</c> by another site. The page writes every key and node name as text
/// (<c>textContent</c>, never markup), and its Content-Security-Policy allows no inline script.
/// </para>
/// </summary>
internal static partial class DashboardEndpoints
{
    /// <summary>The cookie authentication scheme of the page's sessions.</summary>
    public const string CookieScheme = "layerlock-page";

    private const string SecurityPolicy =
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

    /// <summary>The session cookie's name; with a port, <c>layerlock_session_PORT</c>.</summary>
    public const string CookiePrefix = "layerlock_session";

    /// <summary>Largest login form accepted, in bytes.</summary>
    private const long MaxLoginForm = 4096;

    /// <summary>Login tries per <see cref="LoginWindow"/> from one client address.</summary>
    private const int LoginAttempts = 5;

    private const string LoginPolicy = "login";

    private static readonly TimeSpan LoginWindow = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan SubscribeTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Unsent bytes the kernel may queue for a page's connection (<see cref="LimitUnsentBytes"/>).</summary>
    private const int MaxUnsentBytes = 128 * 1024;

    /// <summary><c>IPPROTO_TCP</c> and <c>TCP_NOTSENT_LOWAT</c> from Linux's netinet/tcp.h.</summary>
    private const int IpProtocolTcp = 6;

    private const int TcpNotSentLowWatermark = 25;

    /// <summary>Paths served without the token: the login form and the page's static assets (no data in them).</summary>
    public static bool IsOpen(PathString path) =>
        path == "/login" || path == "/ui/app.css" || path == "/ui/app.js";

    /// <summary>Paths where the page's session cookie stands in for the bearer token.</summary>
    public static bool AcceptsCookie(PathString path) =>
        path == "/" || path == "/events" || path == "/logout";

    /// <param name="port">The port the HTTP API listens on: the cookie's name carries it, so two Coordinators on one host do not sign each other out (cookies ignore ports); 0 = none.</param>
    public static void AddDashboard(this IServiceCollection services, int port)
    {
        var sessions = new DashboardSessions();
        services.AddSingleton(sessions);
        services.AddDataProtection().UseEphemeralDataProtectionProvider();
        services.AddAuthentication(CookieScheme).AddCookie(CookieScheme, cookie =>
        {
            cookie.Cookie.Name = port == 0 ? CookiePrefix : $"{CookiePrefix}_{port}";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SameSite = SameSiteMode.Strict;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            cookie.ExpireTimeSpan = TimeSpan.FromHours(12);
            cookie.SlidingExpiration = true;
            cookie.Events.OnValidatePrincipal = context =>
            {
                // Signed out (here or in another browser), or ended by a restart: the cookie is void.
                if (!sessions.IsOpen(context.Principal?.FindFirst(DashboardSessions.IdClaim)?.Value))
                {
                    context.RejectPrincipal();
                }

                return Task.CompletedTask;
            };
        });

        // The login form takes LoginAttempts tries per LoginWindow from one client address; more get 429.
        services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(LoginPolicy, context => RateLimitPartition.GetFixedWindowLimiter(
                context.Connection.RemoteIpAddress?.ToString() ?? string.Empty,
                _ => new FixedWindowRateLimiterOptions { PermitLimit = LoginAttempts, Window = LoginWindow, QueueLimit = 0 }));
            limiter.OnRejected = (rejected, _) =>
                new ValueTask(LoginPage(rejected.HttpContext, $"Too many tries: wait {LoginWindow.TotalSeconds:0} s.", StatusCodes.Status429TooManyRequests).ExecuteAsync(rejected.HttpContext));
        });
    }

    public static void MapDashboard(this WebApplication app)
    {
        app.UseRateLimiter();
        app.MapMethods("/", [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Asset(context, "index.html", "text/html; charset=utf-8"));
        app.MapMethods("/ui/app.js", [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Asset(context, "app.js", "text/javascript; charset=utf-8"));
        app.MapMethods("/ui/app.css", [HttpMethods.Get, HttpMethods.Head], (HttpContext context) => Asset(context, "app.css", "text/css; charset=utf-8"));
        app.MapMethods("/login", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, CoordinatorSettings settings) =>
            settings.AuthToken is null ? SeeOther("/") : LoginPage(context, null, StatusCodes.Status200OK));
        app.MapPost("/login", LoginAsync).RequireRateLimiting(LoginPolicy);
        app.MapPost("/logout", async (HttpContext context, DashboardSessions sessions) =>
        {
            var signedIn = await context.AuthenticateAsync(CookieScheme);
            sessions.Close(signedIn.Principal?.FindFirst(DashboardSessions.IdClaim)?.Value);
            await context.SignOutAsync(CookieScheme);
            return SeeOther("/login");
        });
        app.MapGet("/events", StreamAsync);
    }

    private static async Task<IResult> LoginAsync(HttpContext context, CoordinatorSettings settings, DashboardSessions sessions, ILoggerFactory loggers)
    {
        if (settings.AuthToken is not { } token)
        {
            return SeeOther("/");
        }

        // The form's own encoding only (multipart has parts that can fail to parse), and small.
        if (!Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var type)
            || !string.Equals(type.MediaType.Value, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase)
            || context.Request.ContentLength is null or > MaxLoginForm)
        {
            return LoginPage(context, "Send the form from this page.", StatusCodes.Status400BadRequest);
        }

        IFormCollection form;
        try
        {
            form = await context.Request.ReadFormAsync(context.RequestAborted);
        }
        catch (Exception unreadable) when (unreadable is InvalidDataException or IOException or BadHttpRequestException)
        {
            // Cut short, or not the encoding it claims.
            return LoginPage(context, "Send the form from this page.", StatusCodes.Status400BadRequest);
        }

        if (!BearerToken.Matches(Encoding.UTF8.GetBytes(token), form["token"].ToString()))
        {
            LogLoginRefused(loggers.CreateLogger("LayerLock.Coordinator.Security"), $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}");
            return LoginPage(context, "That is not the Coordinator's token.", StatusCodes.Status401Unauthorized);
        }

        var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, "operator"), new Claim(DashboardSessions.IdClaim, sessions.Open())], CookieScheme);
        await context.SignInAsync(CookieScheme, new ClaimsPrincipal(identity));
        return SeeOther("/");
    }

    /// <summary>
    /// <c>GET /events</c>: <c>text/event-stream</c> with <c>event: backlog</c> (a JSON array of the
    /// last events), <c>event: snapshot</c> and <c>event: lock</c> frames (the shapes of DashboardBodies.cs,
    /// snake_case). Ends when the page goes, the Coordinator stops, the page's session ends (sign-out,
    /// or its cookie expires), or the feed cuts a page that is behind (<see cref="DashboardViewer"/>);
    /// 503 beyond <see cref="DashboardFeed.MaxViewers"/> pages.
    /// </summary>
    private static async Task StreamAsync(HttpContext context, IRequiredActor<DashboardFeed> feed, IHostApplicationLifetime lifetime, DashboardSessions sessions, TimeProvider time)
    {
        var viewer = new DashboardViewer(await SignedInAsync(context, sessions, time));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping, viewer.Cut.Token);
        try
        {
            DashboardFeed.Subscribed subscribed;
            try
            {
                subscribed = await feed.ActorRef.Ask<DashboardFeed.Subscribed>(new DashboardFeed.Subscribe(viewer), SubscribeTimeout, stop.Token);
            }
            catch (Exception unanswered) when (unanswered is AskTimeoutException or OperationCanceledException && !context.RequestAborted.IsCancellationRequested)
            {
                // The feed is gone or busy (the Coordinator stopping): the browser retries.
                subscribed = new DashboardFeed.Subscribed("the Coordinator is stopping or busy; try again");
            }

            if (subscribed.Refusal is { } refusal)
            {
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsJsonAsync(new ErrorBody(refusal), HttpJsonContext.Default.ErrorBody);
                return;
            }

            LimitUnsentBytes(context);
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
            context.Response.ContentType = "text/event-stream; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            await context.Response.WriteAsync("retry: 2000\n\n", stop.Token);
            await viewer.PumpAsync(context.Response.BodyWriter, stop.Token);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The page went, the Coordinator stops, or the feed cut the page off.
        }
        catch (IOException)
        {
            // The connection broke mid-write.
        }
        finally
        {
            // Also when the subscription was not answered in time: the feed may add the page later.
            feed.ActorRef.Tell(new DashboardFeed.Unsubscribe(viewer));
            if (viewer.Cut.IsCancellationRequested)
            {
                // Cut off, perhaps mid-frame: close the connection, which frees what the kernel
                // still holds for a page that does not read; a live browser reconnects.
                context.Abort();
            }
        }
    }

    /// <summary>
    /// Caps what the kernel queues unsent for a page's connection at <see cref="MaxUnsentBytes"/>
    /// (Linux <c>TCP_NOTSENT_LOWAT</c>, tcp(7)). Without it the send buffer grows to
    /// <c>tcp_wmem</c>'s max (4 MiB here) for a slow reader: megabytes of old snapshots queued in
    /// the kernel, a page shown snapshots tens of seconds old, and writes that make no progress
    /// for longer than the stall timeout although the page reads (50 KB/s, measured). Elsewhere,
    /// or without a socket (tests' in-memory servers), nothing is changed.
    /// </summary>
    private static void LimitUnsentBytes(HttpContext context)
    {
        if (OperatingSystem.IsLinux() && context.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
        {
            try
            {
                socket.SetRawSocketOption(IpProtocolTcp, TcpNotSentLowWatermark, BitConverter.GetBytes(MaxUnsentBytes));
            }
            catch (System.Net.Sockets.SocketException)
            {
                // A kernel without the option (before 3.12): the stall timeout still bounds the page.
            }
        }
    }

    /// <summary>
    /// For a page signed in with the login form: whether its session is still open and its cookie
    /// unexpired (the feed asks every tick). Null without a session cookie (no token configured, or
    /// the bearer token, which <see cref="Security.SharedSecretAuth"/> checks once).
    /// </summary>
    private static async Task<Func<bool>?> SignedInAsync(HttpContext context, DashboardSessions sessions, TimeProvider time)
    {
        var signedIn = await context.AuthenticateAsync(CookieScheme);
        if (signedIn.Principal?.FindFirst(DashboardSessions.IdClaim)?.Value is not { } id)
        {
            return null;
        }

        var expires = signedIn.Properties?.ExpiresUtc ?? DateTimeOffset.MaxValue;
        return () => sessions.IsOpen(id) && time.GetUtcNow() < expires;
    }

    private static IResult Asset(HttpContext context, string name, string contentType)
    {
        Harden(context.Response);
        return Results.Bytes(DashboardAssets.Get(name), contentType);
    }

    private static IResult LoginPage(HttpContext context, string? message, int status)
    {
        Harden(context.Response);
        context.Response.StatusCode = status;

        // The message is one of this file's constants, never the request's text.
        var html = Encoding.UTF8.GetString(DashboardAssets.Get("login.html"))
            .Replace("<!--message-->", message is null ? string.Empty : $"<p class=\"error\" id=\"login-error\">{System.Net.WebUtility.HtmlEncode(message)}</p>", StringComparison.Ordinal);
        return Results.Text(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static void Harden(HttpResponse response)
    {
        response.Headers.ContentSecurityPolicy = SecurityPolicy;
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers.CacheControl = "no-store";
    }

    private static IResult SeeOther(string location) => new SeeOtherResult(location);

    [LoggerMessage(EventId = 701, EventName = "auth.login-refused", Level = LogLevel.Warning,
        Message = "auth.login-refused {Remote}: the login form's token is wrong")]
    private static partial void LogLoginRefused(ILogger logger, string remote);

    /// <summary>303: after a form POST the browser follows with a GET.</summary>
    private sealed class SeeOtherResult(string location) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = location;
            return Task.CompletedTask;
        }
    }
}
