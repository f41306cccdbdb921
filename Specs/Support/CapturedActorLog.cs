using Akka.Event;
using Akka.TestKit;

namespace LayerLock.Specs.Support;

/// <summary>
/// Every log event a TestKit's ActorSystem publishes, in order, for specs that assert on logs: a
/// probe subscribed to the EventStream. A probe takes a message on the sender's thread
/// (TestKit's calling-thread dispatcher), so whatever an actor logged before it replied is here
/// once its reply has arrived.
/// </summary>
public sealed class CapturedActorLog
{
    private readonly TestProbe _probe;
    private readonly List<Entry> _entries = [];

    public CapturedActorLog(TestKitBase testKit)
    {
        _probe = testKit.CreateTestProbe();
        testKit.Sys.EventStream.Subscribe(_probe.Ref, typeof(LogEvent));
    }

    /// <summary>The events so far, oldest first.</summary>
    public async Task<IReadOnlyList<Entry>> EntriesAsync()
    {
        while (_probe.HasMessages)
        {
            var logEvent = await _probe.ExpectMsgAsync<LogEvent>(TimeSpan.Zero);
            _entries.Add(new Entry(logEvent.LogLevel(), EventName(logEvent.Message), logEvent.Message.ToString() ?? string.Empty, logEvent.Cause));
        }

        return [.. _entries];
    }

    // The first word of the message template: LayerLock's events are named that way (DESIGN.md "Log events").
    private static string EventName(object message) =>
        message is LogMessage template ? template.Format.Split(' ')[0] : string.Empty;

    /// <param name="Message">The message as rendered, template fields filled in.</param>
    public sealed record Entry(LogLevel Level, string EventName, string Message, Exception? Exception);
}
