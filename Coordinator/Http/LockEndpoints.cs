using Akka.Actor;
using Akka.Hosting;
using LayerLock.Coordinator.Hosting;
using LayerLock.Coordinator.Locks;
using LayerLock.Messages.Http;
using LayerLock.Messages.Locks;
using Microsoft.AspNetCore.Connections.Features;
using Prometheus;

namespace LayerLock.Coordinator.Http;

/// <summary>
/// The seed-compatible HTTP API (DESIGN.md): /lock, /unlock, /keepalive, /locks, /metrics, /healthz.
/// The lock manager and the shared HTTP owner come from Akka.Hosting's <see cref="ActorRegistry"/>.
/// </summary>
internal static class LockEndpoints
{
    private static readonly TimeSpan DefaultWait = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The lock manager did not answer in time, or the Coordinator stops under a request: 503 with
    /// one line (a client retries elsewhere or later), never a stack trace and a 500. For every
    /// endpoint; added before them.
    /// </summary>
    public static void UseUnansweredAs503(this WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            try
            {
                await next(context);
            }
            catch (Exception unanswered) when (unanswered is TimeoutException or AskTimeoutException && !context.Response.HasStarted)
            {
                var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested;
                context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
                await context.Response.WriteAsJsonAsync(
                    new ErrorBody(stopping ? "the Coordinator is stopping" : $"the lock manager did not answer within {AskTimeout.TotalSeconds:0} s"),
                    HttpJsonContext.Default.ErrorBody);
            }
        });
    }

    public static void MapLockApi(this WebApplication app)
    {
        app.MapPost("/lock", LockAsync);
        app.MapPost("/unlock", UnlockAsync);
        app.MapPost("/keepalive", KeepAliveAsync);
        app.MapGet("/locks", (CoordinatorRuntime runtime) => Results.Json(Locks(runtime), HttpJsonContext.Default.LocksBody));
        app.MapGet("/layers", (CoordinatorRuntime runtime) => Results.Json(
            new LayersBody(
                [.. runtime.Services.Sources.All().Select(l => new LayerEntryBody(l.Layer, [.. l.Nodes.Select(n => new LayerSourceBody(n.Node, n.Url))]))],
                [.. runtime.Services.Uploads.Transfers.Select(t => new PeerTransferBody(t.Layer, t.Node, t.Source, (long)(DateTimeOffset.UtcNow - t.Since).TotalMilliseconds))]),
            HttpJsonContext.Default.LayersBody));
        app.MapGet("/metrics", MetricsAsync);
        app.MapMethods("/healthz", [HttpMethods.Get, HttpMethods.Head], () => Results.Text("ok"));
    }

    private static async Task<IResult> LockAsync(HttpContext context, CoordinatorRuntime runtime, IRequiredActor<LockManager> manager, IRequiredActor<HttpLockOwner> sharedOwner, IHostApplicationLifetime lifetime)
    {
        var settings = runtime.Settings;
        var (body, error) = await JsonBody.ReadAsync(context.Request, HttpJsonContext.Default.LockBody, settings.HttpMaxBody);
        error ??= LockLimits.CheckKey(body!.Key) ?? LockLimits.CheckNode(body.Node)
            ?? (body.WaitMs is { } w ? LockLimits.CheckDuration("wait_ms", w, settings.HttpMaxWait) : null)
            ?? (body.TtlMs is { } t ? LockLimits.CheckDuration("ttl_ms", t, TimeSpan.FromDays(1)) : null)
            ?? (body.TtlMs is 0 ? "ttl_ms must be above 0" : null);
        if (error is not null)
        {
            return BadRequest(error);
        }

        var (key, node) = (body!.Key!, body.Node!);
        var wait = body.WaitMs is { } waitMs ? TimeSpan.FromMilliseconds(waitMs) : DefaultWait;
        var ttl = body.TtlMs is { } ttlMs ? TimeSpan.FromMilliseconds(ttlMs) : settings.HttpDefaultTtl;
        var (requestId, replyTask) = runtime.HttpRequests.Open();
        var owner = sharedOwner.ActorRef;
        if (body.ReleaseOnDisconnect == true)
        {
            if (context.Features.Get<IConnectionCompleteFeature>() is not { } connection)
            {
                runtime.HttpRequests.Abandon(requestId);
                return BadRequest("release_on_disconnect is not available on this connection");
            }

            // The seed's HTTP monitor: an owner of its own, stopped when this connection closes, so
            // its lock takes the fail path.
            owner = runtime.System.ActorOf(HttpLockOwner.Props(runtime.HttpRequests, manager.ActorRef), $"http-request-{requestId}");
            connection.OnCompleted(static state =>
            {
                var (runtime, owner) = ((CoordinatorRuntime, IActorRef))state;
                runtime.Services.EndReasons.Record(owner, "HTTP connection closed");
                runtime.System.Stop(owner);
                return Task.CompletedTask;
            }, (runtime, owner));
        }

        manager.ActorRef.Tell(new AcquireLock(key, node, requestId, wait, ttl), owner);
        object reply;
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        try
        {
            reply = await replyTask.WaitAsync(wait + AskTimeout, ended.Token);
        }
        catch (OperationCanceledException) when (lifetime.ApplicationStopping.IsCancellationRequested && !context.RequestAborted.IsCancellationRequested)
        {
            // Stopping: a waiter is answered now, not after its wait_ms (or the host's 30 s
            // shutdown timeout); its place in the queue goes with the Coordinator.
            runtime.HttpRequests.Abandon(requestId);
            return Results.Json(new ErrorBody("the Coordinator is stopping"), HttpJsonContext.Default.ErrorBody, statusCode: StatusCodes.Status503ServiceUnavailable);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // A client that leaves while waiting leaves the queue; a grant already on its way is
            // handed back by the owner, which no longer finds the request.
            runtime.HttpRequests.Abandon(requestId);
            manager.ActorRef.Tell(new CancelWait(key, node, requestId), owner);
            return Results.Empty;
        }

        return reply switch
        {
            LockGranted granted => Results.Json(
                new LockAcquiredBody(true, key, node, granted.Token, (long)(granted.Ttl ?? TimeSpan.Zero).TotalMilliseconds),
                HttpJsonContext.Default.LockAcquiredBody),
            LockNotAcquired notAcquired => Results.Json(
                new LockNotAcquiredBody(false, notAcquired.Holder, notAcquired.Waiters, notAcquired.Reason),
                HttpJsonContext.Default.LockNotAcquiredBody),
            _ => Results.Json(new ErrorBody($"unexpected reply {reply.GetType().Name}"), HttpJsonContext.Default.ErrorBody, statusCode: 500),
        };
    }

    private static async Task<IResult> UnlockAsync(HttpContext context, CoordinatorRuntime runtime, IRequiredActor<LockManager> manager)
    {
        var (body, error) = await JsonBody.ReadAsync(context.Request, HttpJsonContext.Default.UnlockBody, runtime.Settings.HttpMaxBody);
        error ??= LockLimits.CheckKey(body!.Key) ?? LockLimits.CheckNode(body.Node) ?? CheckToken(body.Token) ?? LockLimits.CheckError(body.Error);
        if (error is not null)
        {
            return BadRequest(error);
        }

        var success = body!.Success ?? true;
        var reply = await manager.ActorRef.Ask<object>(new ReleaseLock(body.Key!, body.Node!, body.Token!.Value, success, body.Error), AskTimeout);
        return reply switch
        {
            LockReleased released => Results.Json(new UnlockedBody(true, released.Next), HttpJsonContext.Default.UnlockedBody),
            LockRefused refused => Conflict(refused),
            _ => Results.Json(new ErrorBody($"unexpected reply {reply.GetType().Name}"), HttpJsonContext.Default.ErrorBody, statusCode: 500),
        };
    }

    private static async Task<IResult> KeepAliveAsync(HttpContext context, CoordinatorRuntime runtime, IRequiredActor<LockManager> manager)
    {
        var (body, error) = await JsonBody.ReadAsync(context.Request, HttpJsonContext.Default.KeepAliveBody, runtime.Settings.HttpMaxBody);
        error ??= LockLimits.CheckKey(body!.Key) ?? LockLimits.CheckNode(body.Node) ?? CheckToken(body.Token);
        if (error is not null)
        {
            return BadRequest(error);
        }

        var reply = await manager.ActorRef.Ask<object>(new KeepLockAlive(body!.Key!, body.Node!, body.Token!.Value), AskTimeout);
        return reply switch
        {
            LockKeptAlive kept => Results.Json(new KeptAliveBody((long)kept.Ttl.TotalMilliseconds), HttpJsonContext.Default.KeptAliveBody),
            LockRefused refused => Conflict(refused),
            _ => Results.Json(new ErrorBody($"unexpected reply {reply.GetType().Name}"), HttpJsonContext.Default.ErrorBody, statusCode: 500),
        };
    }

    /// <summary>Prometheus text format 0.0.4, written by prometheus-net from this Coordinator's own registry.</summary>
    private static async Task MetricsAsync(HttpContext context, CoordinatorRuntime runtime)
    {
        context.Response.ContentType = PrometheusConstants.TextContentTypeWithVersionAndEncoding;
        await runtime.Metrics.Registry.CollectAndExportAsTextAsync(context.Response.Body, context.RequestAborted);
    }

    private static LocksBody Locks(CoordinatorRuntime runtime)
    {
        var time = runtime.Services.Time;
        return new LocksBody([.. runtime.Table.All().Select(l => new LockEntryBody(
            l.Key,
            l.Holder,
            l.Holder is null ? null : l.Token,
            l.Holder is null ? null : (long)time.GetElapsedTime(l.HeldSince).TotalMilliseconds,
            l.Waiters))]);
    }

    private static string? CheckToken(long? token) => token is > 0 ? null : "token is required and must be above 0";

    private static IResult BadRequest(string error) =>
        Results.Json(new ErrorBody(error), HttpJsonContext.Default.ErrorBody, statusCode: StatusCodes.Status400BadRequest);

    private static IResult Conflict(LockRefused refused) =>
        Results.Json(new ErrorBody(refused.Reason, refused.Holder), HttpJsonContext.Default.ErrorBody, statusCode: StatusCodes.Status409Conflict);
}
