using System.Globalization;

namespace LayerLock.LoadDriver.Workloads;

/// <summary>
/// A process's memory from <c>/proc/PID/status</c> (Linux): resident set now (<c>VmRSS</c>) and its
/// peak since the process started (<c>VmHWM</c>), in MiB.
/// </summary>
public sealed class ProcessMemory
{
    private readonly string _statusFile;

    private ProcessMemory(string statusFile, int? pid)
    {
        _statusFile = statusFile;
        Pid = pid;
    }

    /// <summary>The process watched; null for this process.</summary>
    public int? Pid { get; }

    /// <summary>This process (the driver).</summary>
    public static ProcessMemory Self { get; } = new("/proc/self/status", null);

    /// <summary>The process <paramref name="pid"/>, or null when its status cannot be read (no such process, not Linux).</summary>
    public static ProcessMemory? Of(int pid)
    {
        var memory = new ProcessMemory($"/proc/{pid}/status", pid);
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
