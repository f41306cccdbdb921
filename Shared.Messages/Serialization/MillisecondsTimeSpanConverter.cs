using System.Text.Json;
using System.Text.Json.Serialization;

namespace LayerLock.Messages.Serialization;

/// <summary>
/// A <see cref="TimeSpan"/> on the wire is a JSON integer of whole milliseconds (<c>1500</c>, not
/// <c>"00:00:01.5"</c>); a sub-millisecond part is truncated toward zero when writing. Reading takes
/// an integer from -922337203685477 to 922337203685477 (the milliseconds a <see cref="TimeSpan"/>
/// can hold) and throws <see cref="JsonException"/> for anything else. <c>TimeSpan?</c> fields use
/// it too, with <c>null</c> for no value.
/// </summary>
internal sealed class MillisecondsTimeSpanConverter : JsonConverter<TimeSpan>
{
    private const long MaxMilliseconds = long.MaxValue / TimeSpan.TicksPerMillisecond;

    public override TimeSpan Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.Number || !reader.TryGetInt64(out var milliseconds))
        {
            throw new JsonException("a duration must be an integer number of milliseconds");
        }

        if (milliseconds is > MaxMilliseconds or < -MaxMilliseconds)
        {
            throw new JsonException($"a duration must be from {-MaxMilliseconds} to {MaxMilliseconds} milliseconds, got {milliseconds}");
        }

        return TimeSpan.FromTicks(milliseconds * TimeSpan.TicksPerMillisecond);
    }

    public override void Write(Utf8JsonWriter writer, TimeSpan value, JsonSerializerOptions options) =>
        writer.WriteNumberValue(value.Ticks / TimeSpan.TicksPerMillisecond);
}
