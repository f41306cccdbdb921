using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace LayerLock.Hosting.Configuration;

/// <summary>
/// Turns an Akka <see cref="Config"/> into configuration keys joined with ':'
/// (<c>akka.remote.dot-netty.tcp.port</c> becomes <c>akka:remote:dot-netty:tcp:port</c>; arrays
/// become <c>path:0</c>, <c>path:1</c>…). Values are what Akka reads (<see cref="HoconValue.GetString"/>:
/// concatenated, trimmed, <c>null</c> as a null value); durations and sizes keep their text.
/// </summary>
internal static class ConfigFlattener
{
    /// <summary>
    /// Refuses what Akka's parser accepts but cannot read back: a key without a value, a
    /// substitution that leads back to itself (reading it would overflow the stack), a value that
    /// mixes an object with text, and <c>include</c> without a quoted file name.
    /// </summary>
    /// <exception cref="ConfigurationFileException">The first such setting, by name.</exception>
    public static void Check(Config config, string text, string fileName) =>
        new Checker(text, fileName).Visit(config.Root, "");

    /// <summary>The keys of a <see cref="Check"/>ed config.</summary>
    public static Dictionary<string, string?> Flatten(Config config)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in config.Root.GetObject().Items)
        {
            Add(value, key, data);
        }

        return data;
    }

    private static void Add(HoconValue value, string path, Dictionary<string, string?> data)
    {
        if (value.IsObject())
        {
            var items = value.GetObject().Items;
            if (items.Count == 0)
            {
                data[path] = null;
            }

            foreach (var (key, child) in items)
            {
                Add(child, $"{path}:{key}", data);
            }
        }
        else if (IsArray(value))
        {
            var items = value.GetArray();
            if (items.Count == 0)
            {
                data[path] = null;
            }

            for (var i = 0; i < items.Count; i++)
            {
                Add(items[i], $"{path}:{i.ToString(CultureInfo.InvariantCulture)}", data);
            }
        }
        else
        {
            data[path] = value.GetString();
        }
    }

    // Akka's own IsArray is false for an empty array. Blanks after an array (`[] # none`) are kept
    // by Akka's parser as text; they do not make it text.
    private static bool IsArray(HoconValue value) =>
        value.Values.Any(element => element is HoconArray || (element is HoconSubstitution && element.IsArray()))
        && value.Values.All(element =>
            element is HoconArray
            || (element is HoconSubstitution && element.IsArray())
            || (element is HoconLiteral literal && string.IsNullOrWhiteSpace(literal.Value)));

    private sealed class Checker(string text, string fileName)
    {
        private readonly HashSet<HoconValue> _reading = new(ReferenceEqualityComparer.Instance);
        private readonly HashSet<HoconValue> _checked = new(ReferenceEqualityComparer.Instance);

        public void Visit(HoconValue value, string setting)
        {
            if (_checked.Contains(value))
            {
                return;
            }

            _reading.Add(value);
            if (value.Values.Count == 0)
            {
                throw Error(null, $"setting '{setting}' has no value");
            }

            foreach (var element in value.Values)
            {
                switch (element)
                {
                    case HoconSubstitution substitution:
                        Follow(substitution, setting);
                        break;
                    case HoconObject obj:
                        foreach (var (key, child) in obj.Items)
                        {
                            var childSetting = setting.Length == 0 ? key : $"{setting}.{key}";
                            if (key.StartsWith("include ", StringComparison.Ordinal))
                            {
                                throw Error(AkkaHocon.LineOf(text, key), $"'{key}' is read as a setting; write include \"file.conf\" with the file name in double quotes");
                            }

                            Visit(child, childSetting);
                        }

                        break;
                    case HoconArray array:
                        for (var i = 0; i < array.Count; i++)
                        {
                            Visit(array[i], $"{setting}[{i.ToString(CultureInfo.InvariantCulture)}]");
                        }

                        break;
                }
            }

            if (!value.IsObject() && !IsArray(value) && !value.IsString())
            {
                throw Error(null, $"setting '{setting}' mixes an object or array with text; Akka's HOCON cannot join them");
            }

            _reading.Remove(value);
            _checked.Add(value);
        }

        private void Follow(HoconSubstitution substitution, string setting)
        {
            var written = "${" + substitution.Path + "}";
            if (string.IsNullOrWhiteSpace(substitution.Path) || substitution.ResolvedValue is null)
            {
                throw Error(AkkaHocon.LineOf(text, "${" + substitution.Path), $"substitution {written} in setting '{setting}' names no setting");
            }

            if (_reading.Contains(substitution.ResolvedValue))
            {
                throw Error(
                    AkkaHocon.LineOf(text, written),
                    $"substitution {written} in setting '{setting}' leads back to itself; Akka's HOCON cannot refer to a setting's earlier value");
            }

            Visit(substitution.ResolvedValue, substitution.Path);
        }

        private ConfigurationFileException Error(int? line, string reason) => new(fileName, line, null, reason);
    }
}
