using System.Globalization;

namespace LayerLock.Actors.Configuration;

/// <summary>
/// Turns a resolved document into configuration keys joined with ':' (arrays as <c>path:0</c>).
/// A lone unquoted <c>yes</c>/<c>on</c>/<c>true</c> becomes "true", <c>no</c>/<c>off</c>/<c>false</c>
/// becomes "false", and <c>null</c> a null value; everything else keeps its text.
/// </summary>
internal static class HoconFlattener
{
    public static Dictionary<string, string?> Flatten(HoconObject root)
    {
        var data = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Visit(root, null, data);
        return data;
    }

    private static void Visit(HoconValue value, string? path, Dictionary<string, string?> data)
    {
        switch (value)
        {
            case HoconObject obj:
                if (obj.Fields.Count == 0 && path is not null)
                {
                    data[path] = null;
                }

                foreach (var (key, field) in obj.Fields)
                {
                    Visit(field, path is null ? key : $"{path}:{key}", data);
                }

                break;
            case HoconArray array:
                if (array.Items.Count == 0)
                {
                    data[path!] = null;
                }

                for (var i = 0; i < array.Items.Count; i++)
                {
                    Visit(array.Items[i], $"{path}:{i.ToString(CultureInfo.InvariantCulture)}", data);
                }

                break;
            case HoconScalar scalar:
                data[path!] = scalar.Kind == HoconScalarKind.Unquoted ? Normalize(scalar.Text) : scalar.Text;
                break;
            default:
                throw new InvalidOperationException($"unresolved HOCON value at '{path}' ({value.GetType().Name})");
        }
    }

    private static string? Normalize(string text) => text switch
    {
        "null" => null,
        "true" or "yes" or "on" => "true",
        "false" or "no" or "off" => "false",
        _ => text,
    };
}
