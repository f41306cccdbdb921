using System.Net.Http.Json;
using LayerLock.Specs.Locks.Contract;
using LayerLock.Specs.MultiProcess;
using LayerLock.Specs.Support;
using OpenQA.Selenium;
using Xunit;

namespace LayerLock.Specs.Http;

/// <summary>
/// The Coordinator's live page (issue 13) in a real headless Chromium (Debian's chromium and
/// chromium-driver, through Selenium.WebDriver): a Coordinator process with a bearer token, real
/// <c>NodeAgent lock</c> processes, one of them SIGKILLed. Each step asserts what the page shows,
/// which arrives only over its event stream (the page does not poll).
/// </summary>
[Collection(nameof(MultiProcessSpecs))]
public sealed class DashboardBrowserSpecs
{
    private const string Key = "sha256:1313131313131313131313131313131313131313131313131313131313131313";
    private const string Token = "page-spec-token";
    private static readonly TimeSpan Patience = ProcessCluster.Patience;

    [Fact]
    public async Task The_page_should_show_a_lock_taken_queued_released_and_failed_over_after_a_SIGKILL()
    {
        await using var cluster = new ProcessCluster($"--layerlock:coordinator:auth:token={Token}");
        await cluster.StartCoordinatorAsync();
        using var browser = new HeadlessChromium();
        var page = browser.Page;

        // Nothing without the token: the page sends the browser to the login form.
        page.Navigate().GoToUrl(cluster.Url + "/");
        browser.Until(p => p.Url.EndsWith("/login", StringComparison.Ordinal), "the login form");
        Assert.Empty(page.FindElements(By.Id("layers")));
        SignIn(page, "not-the-token");
        Assert.Contains("not the Coordinator's token", browser.Until(p => p.FindElement(By.Id("login-error")).Text, "the refusal"));
        Assert.Empty(page.Manage().Cookies.AllCookies);
        Assert.Empty(page.FindElements(By.Id("layers")));

        SignIn(page, Token);
        browser.Until(p => p.FindElement(By.Id("status")).Text == "live", "the live stream");
        var cookie = page.Manage().Cookies.GetCookieNamed($"layerlock_session_{cluster.Port}");
        Assert.True(cookie is { IsHttpOnly: true, SameSite: "Strict" }, $"cookie {cookie}");
        Assert.Equal(string.Empty, ((IJavaScriptExecutor)page).ExecuteScript("return document.cookie"));

        // Taken.
        var lockArgs = $"--layerlock:agent:auth:token={Token}";
        var a = cluster.StartLock(Key, "node-a", lockArgs);
        var tokenA = ProcessCluster.TokenOf(await a.WaitForLineAsync("granted", Patience));
        browser.Until(p => Layer(p, Key) is { Holder: "node-a", Waiters: [] } l && l.Token == tokenA.ToString(System.Globalization.CultureInfo.InvariantCulture), "node-a holding the key");
        browser.Until(p => NodeRow(p, "node-a") is { } row && row.FindElement(By.ClassName("locks")).Text == "1", "node-a connected, holding 1 lock");

        // Queued, in order.
        var b = cluster.StartLock(Key, "node-b", lockArgs);
        await b.WaitForLineAsync("queued", Patience);
        var c = cluster.StartLock(Key, "node-c", lockArgs);
        Assert.Equal("queued position=2 holder=node-a", await c.WaitForLineAsync("queued", Patience));
        browser.Until(p => Layer(p, Key) is { Holder: "node-a", Waiters: ["node-b", "node-c"] }, "node-b then node-c waiting behind node-a");
        browser.Until(p => Events(p).Count(e => e.Name == "lock.queued") == 2, "two lock.queued events");
        browser.Until(p => p.FindElement(By.Id("t-queue")).Text == "1 / 2", "1 holder and 2 waiting in the totals");
        browser.Screenshot(ScreenshotPath());

        // The operator selects the key's text to copy it: the table holds still while it is selected.
        var script = (IJavaScriptExecutor)page;
        script.ExecuteScript("getSelection().selectAllChildren(document.querySelector('#layers td.key'))");

        // Released with success: the head of the queue holds it.
        a.CloseInput();
        Assert.EndsWith("next=node-b", await a.WaitForLineAsync("released", Patience));
        var tokenB = ProcessCluster.TokenOf(await b.WaitForLineAsync("granted", Patience));
        browser.Until(p => p.FindElement(By.Id("t-queue")).Text == "1 / 1", "the totals after the release (a new snapshot)");
        Assert.Equal("(paused while text is selected)", page.FindElement(By.Id("layers-count")).Text);
        Assert.True(Layer(page, Key) is { Holder: "node-a", Waiters: ["node-b", "node-c"] }, "the selected table was redrawn");
        Assert.Equal(Key, script.ExecuteScript("return getSelection().toString()"));

        // The selection ends: the table shows the newest snapshot.
        script.ExecuteScript("getSelection().removeAllRanges()");
        browser.Until(p => Layer(p, Key) is { Holder: "node-b", Waiters: ["node-c"] } l && l.Token == tokenB.ToString(System.Globalization.CultureInfo.InvariantCulture), "node-b holding, node-c waiting");
        var released = browser.Until(p => Events(p).FirstOrDefault(e => e.Name == "lock.released" && e.Node == "node-a"), "node-a's release");
        Assert.Contains("success", released.Text);
        Assert.Contains("next node-b", released.Text);
        Assert.EndsWith(" ms", browser.Until(p => p.FindElement(By.Id("t-handoff")).Text is var t && t != "–" ? t : null, "the hand-off to node-b in the totals"));

        // The holder's process is SIGKILLed: the Coordinator fails it over to node-c.
        await b.KillAsync();
        await c.WaitForLineAsync("granted", Patience);
        browser.Until(p => Layer(p, Key) is { Holder: "node-c", Waiters: [] }, "node-c holding after the fail-over");
        var failover = browser.Until(p => Events(p).FirstOrDefault(e => e.Name == "lock.failover" && e.Node == "node-b"), "node-b's fail-over");
        Assert.True(failover.Warning);
        Assert.Contains("next node-c", failover.Text);
        browser.Until(p => p.FindElement(By.Id("t-failovers")).Text == "1", "1 fail-over in the totals");
        browser.Until(p => NodeRow(p, "node-b") is null, "node-b gone from the nodes");

        // Released again: no key left.
        c.CloseInput();
        await c.WaitForLineAsync("released", Patience);
        browser.Until(p => Layer(p, Key) is null && p.FindElement(By.Id("layers-empty")).Displayed, "no active key");

        // The event list filters by node.
        page.FindElement(By.Id("filter-node")).SendKeys("node-b");
        var filtered = browser.Until(p => Events(p) is { Count: > 0 } shown && shown.All(e => e.Node == "node-b" || e.Text.Contains("next node-b", StringComparison.Ordinal)) ? shown : null, "only node-b's events");
        Assert.Contains(filtered, e => e.Name == "lock.acquired");
        Assert.Contains(filtered, e => e.Name == "lock.failover");

        // Left open while events pour in, the page keeps only the last 300.
        page.FindElement(By.Id("filter-node")).Clear();
        page.FindElement(By.Id("filter-node")).SendKeys(Keys.Backspace);
        using var http = new HttpClient { BaseAddress = new Uri(cluster.Url) };
        http.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
        for (var i = 0; i < 200; i++)
        {
            using var taken = await http.PostAsJsonAsync("/lock", new { key = "layer/churn", node = "node-d" });
            var token = (await taken.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>()).GetProperty("token").GetInt64();
            using var unlocked = await http.PostAsJsonAsync("/unlock", new { key = "layer/churn", node = "node-d", token });
            unlocked.EnsureSuccessStatusCode();
        }

        browser.Until(p => Events(p).FirstOrDefault()?.Name == "lock.released" && Events(p)[0].Text.Contains("layer/churn", StringComparison.Ordinal), "the last churn release on top");
        Assert.Equal(300, page.FindElements(By.CssSelector("#events li")).Count);
        Assert.Equal(300L, ((IJavaScriptExecutor)page).ExecuteScript("return document.querySelectorAll('#events li').length"));
    }

    [Fact]
    public async Task A_key_and_a_node_with_markup_should_be_shown_as_text_and_never_run()
    {
        const string key = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">";
        const string node = "<b onmouseover=\"window.pwned = 3\">node-x</b>";
        await using var coordinator = await RunningCoordinator.StartAsync();
        using var http = new HttpClient { BaseAddress = coordinator.BaseAddress };
        using var browser = new HeadlessChromium();
        var page = browser.Page;
        page.Navigate().GoToUrl(new Uri(coordinator.BaseAddress, "/"));
        browser.Until(p => p.FindElement(By.Id("status")).Text == "live", "the live stream");

        using var taken = await http.PostAsJsonAsync("/lock", new { key, node, ttl_ms = 60_000 });
        taken.EnsureSuccessStatusCode();

        var layer = browser.Until(p => Layer(p, key), "the key's row");
        Assert.Equal(node, layer.Holder);
        Assert.Equal(key, page.FindElement(By.CssSelector("#layers tbody tr td.key")).Text);
        var acquired = browser.Until(p => Events(p).FirstOrDefault(e => e.Name == "lock.acquired"), "the acquired event");
        Assert.Contains(key, acquired.Text);
        Assert.Contains(node, acquired.Text);

        // Shown as text: no element the markup would have made, and none of its script ran.
        Assert.Empty(page.FindElements(By.CssSelector("#layers img, #layers b, #events img, #events b, #layers script, #events script")));
        Assert.Null(((IJavaScriptExecutor)page).ExecuteScript("return window.pwned ?? null"));

        // A name that would pass for another (a right-to-left override, a zero-width space) shows
        // its hidden characters; the longest node name allowed (128 bytes) wraps inside the page.
        const string disguised = "sha256:abc\u202Eexe.evil";
        string longNode = new('n', 128);
        using (var spoof = await http.PostAsJsonAsync("/lock", new { key = disguised, node = "node-a\u200B", ttl_ms = 60_000 }))
        {
            spoof.EnsureSuccessStatusCode();
        }

        using (var wide = await http.PostAsJsonAsync("/lock", new { key = "layer/wide", node = longNode, ttl_ms = 60_000 }))
        {
            wide.EnsureSuccessStatusCode();
        }

        browser.Until(p => Layer(p, disguised) is { Holder: "node-a⟨U+200B⟩" }, "the disguised names with their hidden characters shown");
        Assert.Equal("sha256:abc⟨U+202E⟩exe.evil", page.FindElements(By.CssSelector("#layers tbody tr")).Single(r => r.GetDomAttribute("data-key") == disguised).FindElement(By.ClassName("key")).Text);
        browser.Until(p => Layer(p, "layer/wide") is not null, "the wide name's row");
        Assert.True(
            (bool)((IJavaScriptExecutor)page).ExecuteScript("return document.documentElement.scrollWidth <= window.innerWidth")!,
            "a 128-byte node name widened the page past the window");
    }

    private static void SignIn(IWebDriver page, string token)
    {
        var field = page.FindElement(By.Id("token"));
        field.Clear();
        field.SendKeys(token);
        page.FindElement(By.Id("sign-in")).Click();
    }

    private static string ScreenshotPath() =>
        Environment.GetEnvironmentVariable("LAYERLOCK_SCREENSHOT") is { Length: > 0 } path
            ? path
            : Path.Combine(AppContext.BaseDirectory, "screenshots", "dashboard.png");

    /// <summary>The key's row as the page shows it; null when the key is not listed.</summary>
    private static LayerRow? Layer(IWebDriver page, string key)
    {
        var row = page.FindElements(By.CssSelector("#layers tbody tr")).FirstOrDefault(r => r.GetDomAttribute("data-key") == key);
        return row is null
            ? null
            : new LayerRow(
                row.FindElement(By.ClassName("holder")).Text,
                row.FindElement(By.ClassName("token")).Text,
                [.. row.FindElements(By.CssSelector("td.waiters li")).Select(w => w.GetDomAttribute("data-node") ?? string.Empty)]);
    }

    private static IWebElement? NodeRow(IWebDriver page, string node) =>
        page.FindElements(By.CssSelector("#nodes tbody tr")).FirstOrDefault(r => r.GetDomAttribute("data-node") == node);

    /// <summary>The event list as shown, newest first.</summary>
    private static List<EventRow> Events(IWebDriver page) =>
        [.. page.FindElements(By.CssSelector("#events li")).Select(e => new EventRow(
            e.GetDomAttribute("data-name") ?? string.Empty,
            e.GetDomAttribute("data-node") ?? string.Empty,
            e.GetDomAttribute("class") == "warning",
            e.Text))];

    private sealed record LayerRow(string Holder, string Token, string[] Waiters);

    private sealed record EventRow(string Name, string Node, bool Warning, string Text);
}
