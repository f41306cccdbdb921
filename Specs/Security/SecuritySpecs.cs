using System.Net;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LayerLock.Coordinator.Hosting;
using LayerLock.NodeAgent.Coordination;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Security;

public sealed class SecuritySpecs
{
    private const string Secret = "s3cret-do-not-log";
    private const string Key = "sha256:7777777777777777777777777777777777777777777777777777777777777777";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Fact]
    public void The_coordinator_should_bind_loopback_unless_told_otherwise()
    {
        var settings = CoordinatorSettings.From(new ConfigurationBuilder().Build(), SpecDirectories.Defaults);

        Assert.Equal("127.0.0.1:8080", settings.Addr.ToString());
        Assert.Null(settings.AuthToken);
        Assert.Null(settings.Tls);
    }

    [Theory]
    [InlineData(" secret")]
    [InlineData("secret ")]
    [InlineData("\tsecret")]
    public void A_token_that_begins_or_ends_with_white_space_should_be_refused_at_start(string token)
    {
        // An Authorization header cannot carry it (the value is trimmed), so no client could ever authenticate.
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("layerlock:coordinator:auth:token", token)])
            .Build();

        var error = Assert.Throws<FormatException>(() => CoordinatorSettings.From(configuration, SpecDirectories.Defaults));

        Assert.Contains("auth:token must not begin or end with white space", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_negative_idle_linger_should_be_refused_with_the_setting_named()
    {
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection([new("layerlock:coordinator:idle-linger", "-1s")])
            .Build();

        var error = Assert.Throws<FormatException>(() => CoordinatorSettings.From(configuration, SpecDirectories.Defaults));

        Assert.Contains("idle-linger", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_a_token_HTTP_calls_without_it_should_get_401_and_the_refusal_is_logged_without_the_secret()
    {
        await using var coordinator = await RunningCoordinator.StartAsync($"layerlock.coordinator.auth.token = \"{Secret}\"");
        using var http = new HttpClient { BaseAddress = coordinator.BaseAddress };
        var body = new { key = Key, node = "node-a", wait_ms = 0 };

        using var anonymous = await http.PostAsJsonAsync("/lock", body);
        using var wrong = await SendAsync(http, "/lock", body, "Bearer not-it");
        using var right = await SendAsync(http, "/lock", body, $"Bearer {Secret}");
        using var health = await http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("Bearer", anonymous.Headers.WwwAuthenticate.ToString());
        Assert.Contains("no Authorization header", await anonymous.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Contains("wrong token", await wrong.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(2, coordinator.LogLines.Count(l => l.StartsWith("auth.refused", StringComparison.Ordinal)));
        Assert.DoesNotContain(coordinator.LogLines, l => l.Contains(Secret, StringComparison.Ordinal));
        Assert.DoesNotContain(coordinator.LogLines, l => l.Contains("not-it", StringComparison.Ordinal));
    }

    [Fact]
    public async Task With_a_token_an_agent_link_without_it_should_neither_discover_nor_register()
    {
        await using var coordinator = await RunningCoordinator.StartAsync($"layerlock.coordinator.auth.token = \"{Secret}\"");
        using var http = new HttpClient { BaseAddress = coordinator.BaseAddress, Timeout = Patience };
        using var anonymousDiscovery = await http.GetAsync("/v1/agent-link");
        var lockManager = await LockManagerPathAsync(coordinator.BaseAddress, Secret);

        // Asking the Coordinator's URL where the lock manager is: refused at the HTTP door.
        var discoveringLog = new CapturedLog();
        await using var discovering = CoordinatorLink.Create(Settings(coordinator.BaseAddress, "anonymous-a", null, null), discoveringLog.CreateLogger("link"));
        discovering.Start();
        var unreachable = await discoveringLog.WaitForAsync(e => e.EventName == "session.unreachable", Patience);

        // Told where the lock manager is: its registration, without the token or with a wrong one, is refused.
        var refusals = new List<CapturedLog.Entry>();
        foreach (var (node, token) in new[] { ("anonymous-b", (string?)null), ("wrong-c", "not-it") })
        {
            var log = new CapturedLog();
            await using var direct = CoordinatorLink.Create(Settings(coordinator.BaseAddress, node, lockManager, token), log.CreateLogger("link"));
            direct.Start();
            refusals.Add(await log.WaitForAsync(e => e.EventName == "session.refused", Patience));
            Assert.False(direct.IsConnected);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, anonymousDiscovery.StatusCode);
        Assert.Contains("401", unreachable.Message, StringComparison.Ordinal);
        Assert.False(discovering.IsConnected);
        Assert.All(refusals, r => Assert.Contains("shared secret does not match", r.Message, StringComparison.Ordinal));
        foreach (var node in new[] { "anonymous-b", "wrong-c" })
        {
            Assert.Contains(coordinator.LogLines, l => l.StartsWith($"session.registration-refused \"{node}\"", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(coordinator.LogLines, l => l.StartsWith("session.opened", StringComparison.Ordinal));
        Assert.DoesNotContain(coordinator.LogLines, l => l.Contains(Secret, StringComparison.Ordinal) || l.Contains("not-it", StringComparison.Ordinal));
        Assert.Equal(0, coordinator.Table.Count);
    }

    [Fact]
    public async Task With_a_token_an_agent_link_that_presents_it_should_register_and_lock()
    {
        await using var coordinator = await RunningCoordinator.StartAsync($"layerlock.coordinator.auth.token = \"{Secret}\"");
        var discoveringLog = new CapturedLog();
        await using var discovering = CoordinatorLink.Create(Settings(coordinator.BaseAddress, "trusted-a", null, Secret), discoveringLog.CreateLogger("link"));
        discovering.Start();
        await using var direct = await RemoteLockClient.ConnectAsync(coordinator.BaseAddress, "trusted-b", Secret);

        using var connected = new CancellationTokenSource(Patience);
        await discovering.WaitConnectedAsync(connected.Token);
        var lease = await discovering.AcquireAsync(Key, TimeSpan.Zero, null, connected.Token);
        var waiting = await direct.LockAsync(Key, TimeSpan.FromMinutes(1));
        await coordinator.Table.WaitUntilAsync(t => t.Get(Key)?.Waiters.Count == 1, Patience);
        await discovering.ReleaseAsync(lease, success: true, error: null, connected.Token);
        var granted = await waiting.Outcome.WaitAsync(Patience);

        Assert.True(granted.Acquired);
        Assert.True(granted.Token > lease.Token);
        Assert.Equal(("trusted-b", granted.Token), (coordinator.Table.Get(Key)?.Holder, coordinator.Table.Get(Key)?.Token));
        Assert.DoesNotContain(coordinator.LogLines, l => l.StartsWith("session.registration-refused", StringComparison.Ordinal));
    }

    private static AgentLinkSettings Settings(Uri coordinator, string node, string? lockManager, string? token) =>
        new(
            coordinator,
            lockManager,
            new LockClientOptions(node, lockManager ?? string.Empty, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), 0.2) { AuthToken = token },
            null,
            RemoteLockClient.AgentConfig);

    private static async Task<string> LockManagerPathAsync(Uri coordinator, string token)
    {
        using var http = new HttpClient { BaseAddress = coordinator, Timeout = Patience };
        http.DefaultRequestHeaders.Authorization = new("Bearer", token);
        var link = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/agent-link");
        return link.GetProperty("lock_manager").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient http, string path, object body, string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent.Create(body) };
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        return await http.SendAsync(request);
    }

    private static (string Certificate, string Key) WriteSelfSignedCertificate(string directory)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=layerlock-spec", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        var certificatePath = Path.Combine(directory, "coordinator.crt");
        var keyPath = Path.Combine(directory, "coordinator.key");
        File.WriteAllText(certificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(keyPath, rsa.ExportPkcs8PrivateKeyPem());
        return (certificatePath, keyPath);
    }
}
