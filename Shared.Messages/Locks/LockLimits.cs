using System.Text;

namespace LayerLock.Messages.Locks;

/// <summary>What a valid lock request looks like, checked at every edge (HTTP body, session frame).</summary>
public static class LockLimits
{
    public const int MaxKeyBytes = 512;
    public const int MaxNodeBytes = 128;
    public const int MaxErrorBytes = 4096;

    /// <summary>Null when <paramref name="key"/> is valid, else what is wrong with it.</summary>
    public static string? CheckKey(string? key) => CheckName("key", key, MaxKeyBytes);

    /// <summary>Null when <paramref name="node"/> is valid, else what is wrong with it.</summary>
    public static string? CheckNode(string? node) => CheckName("node", node, MaxNodeBytes);

    public static string? CheckError(string? error) =>
        error is not null && Encoding.UTF8.GetByteCount(error) > MaxErrorBytes
            ? $"error must be at most {MaxErrorBytes} bytes"
            : null;

    /// <summary>Null when 0 ≤ <paramref name="milliseconds"/> ≤ <paramref name="max"/>.</summary>
    public static string? CheckDuration(string field, long milliseconds, TimeSpan max) =>
        milliseconds < 0 || milliseconds > max.TotalMilliseconds
            ? $"{field} must be from 0 to {(long)max.TotalMilliseconds}, got {milliseconds}"
            : null;

    private static string? CheckName(string field, string? value, int maxBytes)
    {
        if (string.IsNullOrEmpty(value))
        {
            return $"{field} is required";
        }

        if (Encoding.UTF8.GetByteCount(value) > maxBytes)
        {
            return $"{field} must be at most {maxBytes} bytes";
        }

        return value.Any(char.IsControl) ? $"{field} must not contain control characters" : null;
    }
}
