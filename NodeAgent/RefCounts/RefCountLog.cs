using Akka.Event;

namespace LayerLock.NodeAgent.RefCounts;

/// <summary>
/// The reference-count events of the agent, one each, with stable names (DESIGN.md "Log events"):
/// the first word of each template is the event's name. <see cref="RefCountActor"/> logs them through
/// <c>Context.GetLogger()</c>; Akka.Logger.Serilog turns each into a Serilog event with the
/// template's fields as properties.
/// </summary>
internal static class RefCountLog
{
    public static void SkipDecision(this ILoggingAdapter log, string layer, int refCount, bool present, bool skip) =>
        log.Info("skip.decision {Layer} refcount {RefCount} present {Present} skip {Skip}", layer, refCount, present, skip);

    public static void Updated(this ILoggingAdapter log, string layer, int delta, int value) =>
        log.Info("refcount.updated {Layer} delta {Delta} value {Value}", layer, delta, value);

    public static void Clamped(this ILoggingAdapter log, string layer, int delta, int from) =>
        log.Warning("refcount.clamped {Layer} delta {Delta} would take the count {From} below zero; it is set to 0", layer, delta, from);

    public static void Reconciled(this ILoggingAdapter log, string why, int corrections, int layers, int images, int blobs) =>
        log.Info("refcount.reconciled after {Why}: {Corrections} corrections; {Layers} layers counted from {Images} images, {Blobs} blobs in containerd", why, corrections, layers, images, blobs);

    public static void UnreadableImage(this ILoggingAdapter log, string image) =>
        log.Warning("refcount.unreadable-image {Image}; it counts for no layer", image);

    public static void Failed(this ILoggingAdapter log, string layer, string operation, Exception error) =>
        log.Error(error, "refcount.failed {Layer} {Operation}: {Error}; nothing changed", layer, operation, error.Message);

    public static void Loaded(this ILoggingAdapter log, int layers, string path, int staleTempFiles) =>
        log.Info("refcount.loaded {Layers} layers from {Path}; {StaleTempFiles} stale temp files removed", layers, path, staleTempFiles);
}
