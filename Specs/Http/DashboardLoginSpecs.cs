using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using LayerLock.Specs.Locks.Contract;
using Xunit;

namespace LayerLock.Specs.Http;

/// <summary>
/// The live page's sign-in over real HTTP (issue 13, part 3): who may read the page and its
/// stream, what the session cookie opens, and the login form's limits.
/// </summary>
public sealed class DashboardLoginSpecs
{
    private const string Secret = "stream-spec-secret";
    private const string Key = "sha256:1414141414141414141414141414141414141414141414141414141414141414";

    [Fact]
    public async Task With_a_token_the_page_and_stream_should_need_it_or_the_login_cookie_and_the_cookie_should_open_nothing_else()
    {
        await using var coordinator = await RunningCoordinator.StartAsync($"layerlock.coordinator.auth.token = \"{Secret}\"");
        var cookies = new CookieContainer();
        using var http = new HttpClient(new HttpClientHandler { CookieContainer = cookies, AllowAutoRedirect = false }) { BaseAddress = coordinator.BaseAddress };

        // Without it: the page sends a browser to the form; the stream and the API say 401.
        using (var page = await http.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.SeeOther, page.StatusCode);
            Assert.Equal("/login", page.Headers.Location?.OriginalString);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/events")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/login")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/ui/app.js")).StatusCode);

        // A wrong token: 401, no cookie, logged without what was typed.
        using (var wrong = await http.PostAsync("/login", Form("token", "guess")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
            Assert.False(wrong.Headers.Contains("Set-Cookie"));
        }

        Assert.Contains(coordinator.LogLines, l => l.StartsWith("auth.login-refused", StringComparison.Ordinal));
        Assert.DoesNotContain(coordinator.LogLines, l => l.Contains("guess", StringComparison.Ordinal));

        // The right one: a 303 to the page and an HttpOnly, SameSite=Strict session cookie.
        using (var right = await http.PostAsync("/login", Form("token", Secret)))
        {
            Assert.Equal(HttpStatusCode.SeeOther, right.StatusCode);
            Assert.Equal("/", right.Headers.Location?.OriginalString);
            var setCookie = Assert.Single(right.Headers.GetValues("Set-Cookie"));
            Assert.StartsWith("layerlock_session=", setCookie);
            Assert.Contains("httponly", setCookie, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("samesite=strict", setCookie, StringComparison.OrdinalIgnoreCase);
        }

        using (var page = await http.GetAsync("/"))
        {
            Assert.Equal(HttpStatusCode.OK, page.StatusCode);
            Assert.Contains("script-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single());
        }

        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/")))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        }

        await using var signedIn = await DashboardEventStream.OpenAsync(http);
        Assert.Equal("backlog", (await signedIn.NextAsync())?.Event);
        Assert.Equal("snapshot", (await signedIn.NextAsync())?.Event);

        // The cookie is for the page only: the lock API still wants the bearer token.
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/locks")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await http.PostAsJsonAsync("/lock", new { key = Key, node = "browser" })).StatusCode);
        Assert.Empty(coordinator.Table.All());

        // A script or curl with the bearer token reads the stream as well.
        using var bearer = new HttpClient { BaseAddress = coordinator.BaseAddress };
        bearer.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Secret);
        await using var script = await DashboardEventStream.OpenAsync(bearer);
        Assert.Equal("backlog", (await script.NextAsync())?.Event);
        Assert.Equal("snapshot", (await script.NextAsync())?.Event);

        // Signing out ends the session everywhere: the stream it has open ends, and a copy of the
        // cookie taken before is void too; the script's stream (the bearer token) goes on.
        var copied = cookies.GetCookieHeader(coordinator.BaseAddress);
        using (var logout = await http.PostAsync("/logout", content: null))
        {
            Assert.Equal(HttpStatusCode.SeeOther, logout.StatusCode);
        }

        Assert.True(await signedIn.EndsAsync(), "the signed-out page's stream stayed open");
        Assert.Contains(coordinator.LogLines, l => l.StartsWith("dashboard.viewer-dropped \"signed-out\"", StringComparison.Ordinal));
        Assert.Equal("snapshot", (await script.NextAsync())?.Event);

        Assert.Equal(HttpStatusCode.Unauthorized, (await http.GetAsync("/events")).StatusCode);
        using var replay = new HttpClient { BaseAddress = coordinator.BaseAddress };
        replay.DefaultRequestHeaders.Add("Cookie", copied);
        Assert.Equal(HttpStatusCode.Unauthorized, (await replay.GetAsync("/events")).StatusCode);
    }

    [Fact]
    public async Task The_login_form_should_refuse_other_encodings_with_400_and_more_than_five_tries_in_ten_seconds_with_429()
    {
        await using var coordinator = await RunningCoordinator.StartAsync($"layerlock.coordinator.auth.token = \"{Secret}\"");
        using var http = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = coordinator.BaseAddress };

        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/")))
        {
            Assert.Equal(HttpStatusCode.SeeOther, head.StatusCode);
        }

        // HEAD where GET is open (probes, link checkers): 200, not 405.
        foreach (var path in new[] { "/login", "/ui/app.js", "/ui/app.css", "/healthz" })
        {
            using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, path));
            Assert.True(head.StatusCode == HttpStatusCode.OK, $"HEAD {path}: {head.StatusCode}");
        }

        // Multipart (its parts can fail to parse), a broken one included: 400 with the form, never a 500.
        foreach (var body in new[] { "token=x", "--abc\r\nfoo\r\n" })
        {
            using var multipart = new StringContent(body);
            multipart.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
            using var refused = await http.PostAsync("/login", multipart);
            Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            Assert.Contains("Send the form from this page.", await refused.Content.ReadAsStringAsync());
        }

        // Three tries used above (HEAD / is not one); two more wrong ones, then the sixth is refused, even with the right token.
        for (var i = 0; i < 3; i++)
        {
            using var wrong = await http.PostAsync("/login", Form("token", $"guess-{i}"));
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        using var throttled = await http.PostAsync("/login", Form("token", Secret));
        Assert.Equal(HttpStatusCode.TooManyRequests, throttled.StatusCode);
        Assert.Contains("Too many tries", await throttled.Content.ReadAsStringAsync());
        Assert.False(throttled.Headers.Contains("Set-Cookie"));
    }

    private static FormUrlEncodedContent Form(string name, string value) => new([new KeyValuePair<string, string>(name, value)]);
}
