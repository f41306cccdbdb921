using OpenQA.Selenium;
using OpenQA.Selenium.Chrome;
using OpenQA.Selenium.Support.UI;

namespace LayerLock.Specs.Support;

/// <summary>
/// A real headless Chromium driven through WebDriver: Debian's <c>chromium</c> and
/// <c>chromium-driver</c> (scripts/lib/packages.sh installs both; .ci/run installs what is
/// missing), with Selenium.WebDriver. Its own profile folder; <c>--no-sandbox</c> because the specs
/// run as root. Disposing quits the browser and its driver (the processes this started).
/// </summary>
internal sealed class HeadlessChromium : IDisposable
{
    /// <summary>Debian's launcher (it applies /etc/chromium.d) and driver.</summary>
    private const string Browser = "/usr/bin/chromium";
    private const string Driver = "/usr/bin/chromedriver";

    private readonly TempDirectory _profile = new();
    private readonly ChromeDriverService _service;

    public HeadlessChromium(int width = 1200, int height = 940)
    {
        if (!File.Exists(Browser) || !File.Exists(Driver))
        {
            throw new InvalidOperationException($"{Browser} and {Driver} are needed (apt-get install chromium chromium-driver; .ci/run installs them)");
        }

        _service = ChromeDriverService.CreateDefaultService(Path.GetDirectoryName(Driver)!, Path.GetFileName(Driver));
        _service.HideCommandPromptWindow = true;
        _service.SuppressInitialDiagnosticInformation = true;
        var options = new ChromeOptions { BinaryLocation = Browser };
        options.AddArguments(
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--no-first-run",
            "--disable-extensions",
            $"--user-data-dir={_profile.Path}",
            $"--window-size={width},{height}");
        Page = new ChromeDriver(_service, options, TimeSpan.FromSeconds(60));
    }

    public IWebDriver Page { get; }

    /// <summary>Waits until <paramref name="condition"/> holds on the page (polled every 100 ms by WebDriverWait), or fails with <paramref name="what"/> and the page's text.</summary>
    public T Until<T>(Func<IWebDriver, T?> condition, string what, TimeSpan? timeout = null)
    {
        var wait = new WebDriverWait(Page, timeout ?? TimeSpan.FromSeconds(30)) { PollingInterval = TimeSpan.FromMilliseconds(100) };
        wait.IgnoreExceptionTypes(typeof(StaleElementReferenceException), typeof(NoSuchElementException));
        try
        {
            return wait.Until(driver => condition(driver))!;
        }
        catch (WebDriverTimeoutException)
        {
            string text;
            try
            {
                text = Page.FindElement(By.TagName("body")).Text;
            }
            catch (WebDriverException failure)
            {
                text = $"(no page text: {failure.Message})";
            }

            throw new TimeoutException($"the page never showed {what}; it shows:\n{text}");
        }
    }

    /// <summary>Saves what the browser shows as a PNG.</summary>
    public void Screenshot(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        ((ITakesScreenshot)Page).GetScreenshot().SaveAsFile(path);
    }

    public void Dispose()
    {
        try
        {
            Page.Quit();
        }
        finally
        {
            Page.Dispose();
            _service.Dispose();
            _profile.Dispose();
        }
    }
}
