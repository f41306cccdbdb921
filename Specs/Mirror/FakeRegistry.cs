using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using LayerLock.Specs.Support;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LayerLock.Specs.Mirror;

/// <summary>
/// An upstream registry on loopback serving one image whose layers misbehave on purpose:
/// good, wrong bytes for their digest, HTTP 500, and one that stalls half-way.
/// </summary>
internal sealed class FakeRegistry : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeRegistry(WebApplication app, int port)
    {
        _app = app;
        Host = $"127.0.0.1:{port}";
    }

    public string Host { get; }

    public static byte[] GoodBytes { get; } = Bytes(1, 300_000);

    public static string Good { get; } = Digest(GoodBytes);

    /// <summary>A digest whose blob the registry serves with other bytes.</summary>
    public static string Mismatch { get; } = Digest(Bytes(2, 1000));

    public static string Broken { get; } = Digest(Bytes(3, 1000));

    public static byte[] StallingBytes { get; } = Bytes(4, 2_000_000);

    public static string Stalling { get; } = Digest(StallingBytes);

    /// <summary>User-Agent of every blob request.</summary>
    public ConcurrentQueue<string> UserAgents { get; } = new();

    /// <summary>Completes when the stalling blob has sent its first half.</summary>
    public TaskCompletionSource StalledHalfway { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static async Task<FakeRegistry> StartAsync()
    {
        var port = ChildProcess.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, port));
        var app = builder.Build();
        var registry = new FakeRegistry(app, port);
        // test/app: one layer of each kind. test/good-then-stalling: a good layer, then the stalling one.
        // Manifests by tag, and by digest as containerd asks for them once it has resolved the tag.
        foreach (var (repository, manifest) in new[] { ("app", Manifest()), ("good-then-stalling", Manifest(Good, Stalling)) })
        {
            app.MapMethods($"/v2/test/{repository}/manifests/{{reference}}", ["GET", "HEAD"], (string reference) =>
                reference == "latest" || reference == Digest(Encoding.UTF8.GetBytes(manifest))
                    ? Results.Text(manifest, "application/vnd.oci.image.manifest.v1+json")
                    : Results.NotFound());
            app.MapMethods($"/v2/test/{repository}/blobs/{{digest}}", ["GET", "HEAD"], (Func<HttpContext, string, Task>)registry.BlobAsync);
        }
        await app.StartAsync();
        return registry;
    }

    public async ValueTask DisposeAsync()
    {
        StalledHalfway.TrySetResult();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private static string Manifest() => Manifest(Good, Mismatch, Broken, Stalling);

    private static string Manifest(params string[] layers)
    {
        var entries = layers.Select(layer =>
            $"{{\"mediaType\": \"application/vnd.oci.image.layer.v1.tar+gzip\", \"digest\": \"{layer}\", \"size\": {SizeOf(layer)}}}");
        return $$"""
            {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
             "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": "{{Digest(ConfigBytes)}}", "size": {{ConfigBytes.Length}}},
             "layers": [{{string.Join(", ", entries)}}]}
            """;
    }

    private static int SizeOf(string layer) => layer == Good ? GoodBytes.Length : layer == Stalling ? StallingBytes.Length : 1000;

    private async Task BlobAsync(HttpContext context, string digest)
    {
        UserAgents.Enqueue(context.Request.Headers.UserAgent.ToString());
        if (digest == Broken)
        {
            context.Response.StatusCode = 500;
            return;
        }

        var bytes = digest == Good ? GoodBytes
            : digest == Stalling ? StallingBytes
            : digest == Digest(ConfigBytes) ? ConfigBytes
            : Bytes(99, 1000);
        context.Response.ContentLength = bytes.Length;
        if (digest == Stalling)
        {
            await context.Response.Body.WriteAsync(bytes.AsMemory(0, bytes.Length / 2));
            await context.Response.Body.FlushAsync();
            StalledHalfway.TrySetResult();
            // Stall until the client goes away.
            var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            using (context.RequestAborted.Register(() => gone.TrySetResult()))
            {
                await gone.Task;
            }

            return;
        }

        await context.Response.Body.WriteAsync(bytes);
    }

    private static byte[] ConfigBytes { get; } = Encoding.UTF8.GetBytes("{}");

    private static byte[] Bytes(int seed, int length)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static string Digest(byte[] bytes) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(bytes));
}
