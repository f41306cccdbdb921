using Akka.Actor;
using LayerLock.NodeAgent.RefCounts;

namespace LayerLock.NodeAgent.Mirror;

/// <summary>Manifests, config blobs, HEAD and auth challenges: straight through.</summary>
public sealed partial class RegistryMirror
{
    /// <param name="manifestOf">Set for a manifest request: (host/repo, tag or digest).</param>
    private async Task PassThroughAsync(HttpContext context, Uri url, (string Repository, string Reference)? manifestOf)
    {
        var aborted = context.RequestAborted;
        var method = HttpMethods.IsHead(context.Request.Method) ? HttpMethod.Head : HttpMethod.Get;
        HttpResponseMessage response;
        try
        {
            response = await _upstream.SendAsync(UpstreamRequest(context, method, url, forwardRange: true), HttpCompletionOption.ResponseHeadersRead, aborted);
        }
        catch (HttpRequestException error)
        {
            _log.UpstreamError(url.ToString(), error.Message);
            context.Response.StatusCode = StatusCodes.Status502BadGateway;
            return;
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            return;
        }

        using (response)
        {
            context.Response.StatusCode = (int)response.StatusCode;
            CopyResponseHeaders(response, context.Response);
            if (method == HttpMethod.Head)
            {
                return;
            }

            if (manifestOf is { } manifest && response.IsSuccessStatusCode && response.Content.Headers.ContentLength is null or <= MaxManifestBytes)
            {
                var body = await response.Content.ReadAsByteArrayAsync(aborted);
                var layers = Catalog.Record(manifest.Repository, body);
                if (layers.Count > 0)
                {
                    _log.Manifest(manifest.Repository, manifest.Reference, layers.Count);
                    await DecideSkipsAsync(layers);
                }

                await context.Response.Body.WriteAsync(body, aborted);
                return;
            }

            await using var stream = await response.Content.ReadAsStreamAsync(aborted);
            await stream.CopyToAsync(context.Response.Body, aborted);
        }
    }

    // The seed's ShouldSkipOperation runs for every layer as soon as the image's layers are known:
    // containerd will not even ask for a layer it already has, so this is where a skip shows.
    // One listing of the content store answers for all the layers: this holds back the manifest.
    private async Task DecideSkipsAsync(IReadOnlyList<string> layers)
    {
        var decisions = await _refCounts.ActorRef.Ask<SkipDecisions>(new ShouldSkipOperations(layers), AskTimeout);
        foreach (var decision in decisions.Decisions.Where(d => d.Skip))
        {
            Board.Report(new LayerProgress(decision.Layer, LayerState.Skipped));
        }
    }
}
