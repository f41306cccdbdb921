namespace LayerLock.Coordinator.Dashboard;

/// <summary>The live page's events (DESIGN.md "Log events").</summary>
internal sealed partial class DashboardLog(ILogger logger)
{
    /// <param name="reason"><c>behind</c> (<see cref="DashboardFeed.ViewerBuffer"/> event frames or <see cref="DashboardViewer.MaxQueuedBytes"/> unsent), <c>stalled</c> (it took nothing for <c>page.stall-timeout</c> while frames waited) or <c>signed-out</c> (its session ended, or its cookie expired).</param>
    [LoggerMessage(EventId = 250, EventName = "dashboard.viewer-dropped", Level = LogLevel.Information,
        Message = "dashboard.viewer-dropped {Reason}: a page's stream was closed (a live browser reconnects)")]
    public partial void ViewerDropped(string reason);
}
