using System.Text.Json;
using System.Text.Json.Nodes;

namespace LayerLock.LoadDriver.Results;

/// <summary>
/// One run, one line of the results file:
/// <c>{"workload","system","label","params":{…,"system":{…}},"metrics":{…},"checks":{…},"notes":"…"}</c>.
/// <c>params.system</c> holds the adapter's settings (TTL, retry, …); the other params are the
/// workload's shape, which makes the report's rows.
/// </summary>
public sealed record RunRecord(
    string Workload,
    string System,
    string Label,
    JsonObject Params,
    IReadOnlyDictionary<string, double> Metrics,
    IReadOnlyDictionary<string, double> Checks,
    string Notes)
{
    private static readonly JsonSerializerOptions OneLine = new() { WriteIndented = false };

    /// <summary>The workload's own params, without the adapter settings.</summary>
    public IEnumerable<KeyValuePair<string, JsonNode?>> Shape => Params.Where(p => p.Key != "system");

    /// <summary>The adapter settings (<c>params.system</c>), or an empty object.</summary>
    public JsonObject SystemSettings => Params["system"] as JsonObject ?? [];

    public string ToJsonLine()
    {
        var line = new JsonObject
        {
            ["workload"] = Workload,
            ["system"] = System,
            ["label"] = Label,
            ["params"] = Params.DeepClone(),
            ["metrics"] = ToObject(Metrics),
            ["checks"] = ToObject(Checks),
            ["notes"] = Notes,
        };
        return line.ToJsonString(OneLine);
    }

    /// <exception cref="FormatException">The line is not a run record.</exception>
    public static RunRecord Parse(string line)
    {
        JsonObject record;
        try
        {
            record = JsonNode.Parse(line) as JsonObject ?? throw new FormatException("not a JSON object");
        }
        catch (JsonException error)
        {
            throw new FormatException($"not JSON: {error.Message}", error);
        }

        return new RunRecord(
            Text(record, "workload"),
            Text(record, "system"),
            OptionalText(record, "label"),
            (record["params"] as JsonObject)?.DeepClone().AsObject() ?? [],
            Numbers(record, "metrics"),
            Numbers(record, "checks"),
            OptionalText(record, "notes"));
    }

    private static JsonObject ToObject(IReadOnlyDictionary<string, double> values)
    {
        var json = new JsonObject();
        foreach (var (name, value) in values)
        {
            json[name] = double.IsFinite(value) ? value : null;
        }

        return json;
    }

    private static string Text(JsonObject record, string field) =>
        record[field] is JsonValue value && value.TryGetValue<string>(out var text) && text.Length > 0
            ? text
            : throw new FormatException($"\"{field}\" is missing or not a string");

    private static string OptionalText(JsonObject record, string field) => record[field] switch
    {
        null => "",
        JsonValue value when value.TryGetValue<string>(out var text) => text,
        _ => throw new FormatException($"\"{field}\" is not a string"),
    };

    private static OrderedDictionary<string, double> Numbers(JsonObject record, string field)
    {
        var numbers = new OrderedDictionary<string, double>(StringComparer.Ordinal);
        if (record[field] is not JsonObject values)
        {
            return numbers;
        }

        Flatten(values, "", numbers);
        return numbers;
    }

    // Nested objects (e.g. the e2e script's {"p50": …, "p99": …}) become "name.p50"; true/false
    // become 1/0; arrays (the per-repetition values) are left out.
    private static void Flatten(JsonObject values, string prefix, OrderedDictionary<string, double> numbers)
    {
        foreach (var (name, value) in values)
        {
            switch (value)
            {
                case JsonObject inner:
                    Flatten(inner, $"{prefix}{name}.", numbers);
                    break;
                case JsonArray:
                    break;
                case JsonValue flag when flag.TryGetValue<bool>(out var b):
                    numbers[prefix + name] = b ? 1 : 0;
                    break;
                default:
                    numbers[prefix + name] = value is JsonValue number && number.TryGetValue<double>(out var d) ? d : double.NaN;
                    break;
            }
        }
    }
}
