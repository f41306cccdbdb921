namespace LayerLock.Coordinator.Dashboard;

/// <summary>The live page's events (DESIGN.md "Log events").</summary>
internal sealed partial class DashboardLog(ILogger logger)
{
    [LoggerMessage(EventId = 250, EventName = "dashboard.viewer-dropped", Level = LogLevel.Information,
        Message = "dashboard.viewer-dropped: a page fell {Frames} frames behind; its stream was closed, and the page reconnects for a fresh snapshot")]
    public partial void ViewerDropped(int frames);
}
