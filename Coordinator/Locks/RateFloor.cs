namespace LayerLock.Coordinator.Locks;

/// <summary>
/// The trickling-holder rule (<c>layerlock.coordinator.stall.min-rate</c> and <c>.window</c>): a
/// holder whose transfer reports progress, and whose bytes over any one window grow by less than
/// <see cref="BytesPerSecond"/> × the window, loses the lock on the fail path and is told so
/// (<c>LockRevoked</c>). The first window starts at the holder's first progress report, so a holder
/// that never reports (an HTTP client, a script) is never judged by it. Windows do not overlap: each
/// check starts the next one.
/// </summary>
/// <param name="BytesPerSecond">The floor, bytes per second; 0 turns the rule off.</param>
/// <param name="Window">How long the rate must stay below the floor; above zero when the rule is on.</param>
public sealed record RateFloor(long BytesPerSecond, TimeSpan Window)
{
    /// <summary>Default floor: 8 KiB/s (64 kbit/s). See hocon/coordinator.conf for why.</summary>
    public const long DefaultBytesPerSecond = 8 * 1024;

    /// <summary>The rule off.</summary>
    public static readonly RateFloor Off = new(0, TimeSpan.Zero);

    /// <summary>Default window: 30 s.</summary>
    public static TimeSpan DefaultWindow { get; } = TimeSpan.FromSeconds(30);

    public bool IsOn => BytesPerSecond > 0 && Window > TimeSpan.Zero;

    /// <summary>"8.0 KiB/s", "1.0 KiB/s", "512 B/s".</summary>
    public static string Format(double bytesPerSecond) => bytesPerSecond switch
    {
        >= 1024 * 1024 => $"{bytesPerSecond / (1024 * 1024):0.0} MiB/s",
        >= 1024 => $"{bytesPerSecond / 1024:0.0} KiB/s",
        _ => $"{bytesPerSecond:0} B/s",
    };
}
