using System.Diagnostics;
using LayerLock.Specs.Support;
using Xunit;
using Xunit.Abstractions;

namespace LayerLock.Specs.Scenarios;

/// <summary>
/// The seed's five scenarios (and our sixth to ninth) end to end on real containerd, a real registry and real
/// processes: runs <c>run-scenarios.sh</c> against the binaries of this build. Needs root, as
/// containerd does; CI runs as root and installs what the script needs.
/// </summary>
public sealed class ScenarioSpecs(ITestOutputHelper output)
{
    private static readonly TimeSpan Bound = TimeSpan.FromMinutes(15);

    [Fact]
    public async Task All_nine_scenarios_should_pass_on_real_containerd()
    {
        var script = Path.Combine(SpecDirectories.RepositoryRoot(), "run-scenarios.sh");
        using var workdir = new TempDirectory();
        var info = new ProcessStartInfo("bash")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { script, "--no-build", "--bin", AppContext.BaseDirectory, "--workdir", workdir.Path })
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Bound);
        }
        finally
        {
            if (!process.HasExited)
            {
                // SIGTERM first: the script's trap stops everything it started.
                Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])?.WaitForExit();
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            }
        }

        var transcript = await stdout + await stderr;
        output.WriteLine(transcript);
        var verdicts = transcript.Split('\n').Where(l => l.StartsWith("PASS ", StringComparison.Ordinal) || l.StartsWith("FAIL ", StringComparison.Ordinal)).Distinct().ToList();
        foreach (var scenario in Enumerable.Range(1, 9))
        {
            Assert.Contains(verdicts, v => v.StartsWith($"PASS {scenario} ", StringComparison.Ordinal));
        }

        Assert.DoesNotContain(verdicts, v => v.StartsWith("FAIL", StringComparison.Ordinal));
        Assert.Equal(0, process.ExitCode);
    }
}
