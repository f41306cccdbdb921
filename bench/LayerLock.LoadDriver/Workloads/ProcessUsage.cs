using System.Globalization;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// A process's memory from <c>/proc/PID/status</c> (Linux): resident set now (<c>VmRSS</c>) and its
/// peak since the process started (<c>VmHWM</c>), in MiB; and its CPU time from <c>/proc/PID/stat</c>.
/// </summary>
public sealed class ProcessUsage
{
    // USER_HZ, the unit of /proc/PID/stat's times: 100 on every Linux architecture .NET runs on.
    private const double ClockTicksPerSecond = 100;
    private readonly string _statusFile;
    private readonly string _statFile;

    private ProcessUsage(string directory, int? pid)
    {
        _statusFile = Path.Combine(directory, "status");
        _statFile = Path.Combine(directory, "stat");
        Pid = pid;
    }

    /// <summary>The process watched; null for this process.</summary>
    public int? Pid { get; }

    /// <summary>This process (the driver).</summary>
    public static ProcessUsage Self { get; } = new("/proc/self", null);

    /// <summary>The process <paramref name="pid"/>, or null when its status cannot be read (no such process, not Linux).</summary>
    public static ProcessUsage? Of(int pid)
    {
        var memory = new ProcessUsage($"/proc/{pid}", pid);
        return memory.TryRead() is null ? null : memory;
    }

    /// <summary>Now; null when the process is gone.</summary>
    public MemorySample? TryRead()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(_statusFile);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        var (rss, hwm) = (Kib(lines, "VmRSS:"), Kib(lines, "VmHWM:"));
        return rss is { } r && hwm is { } h ? new MemorySample(Math.Round(r / 1024.0, 1), Math.Round(h / 1024.0, 1)) : null;
    }

    /// <summary>User + system CPU time used so far; null when the process is gone.</summary>
    public TimeSpan? TryReadCpu()
    {
        string stat;
        try
        {
            stat = File.ReadAllText(_statFile);
        }
        catch (Exception error) when (error is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid …": comm may hold spaces and parentheses, so count from the last ')'.
        // utime and stime are fields 14 and 15, i.e. the 12th and 13th after the state.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return fields.Length > 12
            && long.TryParse(fields[11], NumberStyles.None, CultureInfo.InvariantCulture, out var user)
            && long.TryParse(fields[12], NumberStyles.None, CultureInfo.InvariantCulture, out var system)
                ? TimeSpan.FromSeconds((user + system) / ClockTicksPerSecond)
                : null;
    }

    // "VmRSS:\t  123456 kB"
    private static long? Kib(string[] lines, string field)
    {
        var line = lines.FirstOrDefault(l => l.StartsWith(field, StringComparison.Ordinal));
        var number = line?[field.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault();
        return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var kib) ? kib : null;
    }
}

/// <param name="RssMib">Resident set now.</param>
/// <param name="HwmMib">Peak resident set since the process started.</param>
public readonly record struct MemorySample(double RssMib, double HwmMib);
