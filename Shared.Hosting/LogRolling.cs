namespace LayerLock.Hosting;

/// <summary>When the log files roll over.</summary>
public enum LogRolling
{
    /// <summary>At <see cref="LogSettings.FileSizeLimitBytes"/>; the live file keeps its plain name (server.log).</summary>
    Size,

    /// <summary>Daily; the file name gets the date (server20261121.log).</summary>
    Day,

    /// <summary>Hourly; the file name gets date and hour.</summary>
    Hour,
}
