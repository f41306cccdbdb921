namespace LayerLock.LoadDriver.Systems.Redis;

public enum RespKind
{
    SimpleString,
    Error,
    Integer,
    BulkString,
    Array,
    Null,
}

/// <summary>One RESP2 reply. <see cref="Text"/> for simple, error and bulk strings; <see cref="Integer"/>; <see cref="Items"/> for arrays.</summary>
public sealed record RespValue(RespKind Kind, string? Text = null, long Integer = 0, IReadOnlyList<RespValue>? Items = null)
{
    public static RespValue Null { get; } = new(RespKind.Null);

    public override string ToString() => Kind switch
    {
        RespKind.SimpleString or RespKind.BulkString => Text!,
        RespKind.Error => $"(error) {Text}",
        RespKind.Integer => Integer.ToString(System.Globalization.CultureInfo.InvariantCulture),
        RespKind.Array => $"[{string.Join(", ", Items!)}]",
        _ => "(nil)",
    };
}
