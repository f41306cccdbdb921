using System.Globalization;

namespace LayerLock.LoadDriver.Cli;

/// <summary>
/// <c>COMMAND --flag value …</c> (or <c>--flag=value</c>): the command and its flags, with typed
/// readers that name the flag and the valid range when a value is wrong.
/// </summary>
public sealed class CommandLine
{
    private readonly Dictionary<string, string> _flags;
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    private CommandLine(string command, Dictionary<string, string> flags)
    {
        Command = command;
        _flags = flags;
    }

    public string Command { get; }

    /// <exception cref="UsageException">No command, a value without a flag, a flag without a value, or a flag given twice.</exception>
    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        if (args.Count == 0 || args[0].StartsWith('-'))
        {
            throw new UsageException("a command is required: run or report");
        }

        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 1; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
            {
                throw new UsageException($"unexpected argument '{arg}': flags are --name value");
            }

            string name, value;
            var equals = arg.IndexOf('=');
            if (equals > 0)
            {
                (name, value) = (arg[2..equals], arg[(equals + 1)..]);
            }
            else if (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                (name, value) = (arg[2..], args[++i]);
            }
            else
            {
                throw new UsageException($"--{arg[2..]} needs a value");
            }

            if (!flags.TryAdd(name, value))
            {
                throw new UsageException($"--{name} is given twice");
            }
        }

        return new CommandLine(args[0], flags);
    }

    /// <exception cref="UsageException">The flag is missing or empty.</exception>
    public string Required(string name) =>
        Optional(name) is { Length: > 0 } value ? value : throw new UsageException($"--{name} is required");

    public string? Optional(string name)
    {
        _read.Add(name);
        return _flags.GetValueOrDefault(name);
    }

    /// <exception cref="UsageException">Not one of <paramref name="valid"/>.</exception>
    public string OneOf(string name, IReadOnlyCollection<string> valid)
    {
        var value = Required(name);
        return valid.Contains(value) ? value : throw new UsageException($"--{name} must be one of {string.Join(", ", valid)}; got '{value}'");
    }

    /// <exception cref="UsageException">Not a whole number within [<paramref name="min"/>, <paramref name="max"/>].</exception>
    public int Integer(string name, int fallback, int min, int max)
    {
        if (Optional(name) is not { } text)
        {
            return fallback;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} must be a whole number from {min} to {max}; got '{text}'");
    }

    /// <exception cref="UsageException">Not a number within [<paramref name="min"/>, <paramref name="max"/>].</exception>
    public double Number(string name, double fallback, double min, double max)
    {
        if (Optional(name) is not { } text)
        {
            return fallback;
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} must be a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}; got '{text}'");
    }

    /// <summary>A duration such as <c>500ms</c>, <c>5s</c>, <c>2m</c> (a unit is required).</summary>
    /// <exception cref="UsageException">Not a duration within [<paramref name="min"/>, <paramref name="max"/>].</exception>
    public TimeSpan Duration(string name, TimeSpan fallback, TimeSpan min, TimeSpan max)
    {
        if (Optional(name) is not { } text)
        {
            return fallback;
        }

        return TryParseDuration(text, out var value) && value >= min && value <= max
            ? value
            : throw new UsageException($"--{name} must be a duration from {Show(min)} to {Show(max)} such as 500ms, 5s or 2m; got '{text}'");
    }

    /// <summary>The flags given but never asked for (call after reading every known flag).</summary>
    public IReadOnlyDictionary<string, string> Unread() =>
        _flags.Where(f => !_read.Contains(f.Key)).ToDictionary(f => f.Key, f => f.Value, StringComparer.Ordinal);

    public static bool TryParseDuration(string text, out TimeSpan value)
    {
        value = default;
        var (digits, scale) = text switch
        {
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 0.001),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ when text.EndsWith('m') => (text[..^1], 60.0),
            _ when text.EndsWith('h') => (text[..^1], 3600.0),
            _ => (null, 0.0),
        };
        if (digits is null || !double.TryParse(digits, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        value = TimeSpan.FromSeconds(number * scale);
        return true;
    }

    private static string Show(TimeSpan span) =>
        span < TimeSpan.FromSeconds(1) ? $"{span.TotalMilliseconds:0}ms" : span < TimeSpan.FromMinutes(1) ? $"{span.TotalSeconds:0.###}s" : $"{span.TotalMinutes:0.###}m";
}
