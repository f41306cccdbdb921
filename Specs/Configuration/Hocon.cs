using LayerLock.Actors.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

/// <summary>Reads HOCON text with a fixed environment, so specs never depend on the machine's.</summary>
internal static class Hocon
{
    public static IDictionary<string, string?> Read(string text, params (string Name, string Value)[] environment)
    {
        var variables = environment.ToDictionary(e => e.Name, e => e.Value);
        return HoconReader.ReadString(text, "test.conf", environment: name => variables.GetValueOrDefault(name));
    }

    /// <summary>The values at <paramref name="keys"/> joined with '|', null shown as &lt;null&gt;.</summary>
    public static string Values(IDictionary<string, string?> data, params string[] keys) =>
        string.Join('|', keys.Select(k => data.TryGetValue(k, out var v) ? v ?? "<null>" : "<missing>"));

    public static HoconParseException Error(string text) =>
        Assert.Throws<HoconParseException>(() => Read(text));
}
