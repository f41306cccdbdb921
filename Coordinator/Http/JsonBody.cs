using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace LayerLock.Coordinator.Http;

/// <summary>Reads a size-capped JSON body; every failure is one sentence for a 400.</summary>
internal static class JsonBody
{
    public static async Task<(T? Body, string? Error)> ReadAsync<T>(HttpRequest request, JsonTypeInfo<T> type, long maxBytes)
        where T : class
    {
        if (request.ContentLength > maxBytes)
        {
            return (null, $"body must be at most {maxBytes} bytes");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, request.HttpContext.RequestAborted)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > maxBytes)
            {
                return (null, $"body must be at most {maxBytes} bytes");
            }
        }

        if (buffer.Length == 0)
        {
            return (null, "body is required: a JSON object");
        }

        try
        {
            var body = JsonSerializer.Deserialize(buffer.GetBuffer().AsSpan(0, (int)buffer.Length), type);
            return body is null ? (null, "body must be a JSON object, not null") : (body, null);
        }
        catch (JsonException error)
        {
            // A value of the wrong type names its field; anything else is broken JSON.
            var where = error.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal) && error.Path is { Length: > 2 } path
                ? $"field {path[2..]} has the wrong type"
                : "malformed JSON";
            return (null, $"{where} (line {error.LineNumber + 1}, byte {error.BytePositionInLine + 1})");
        }
    }
}
