namespace LayerLock.Actors.Configuration;

/// <summary>
/// HOCON sizes in bytes: <c>64KiB</c>, <c>1MiB</c>, <c>10MB</c>, <c>1k</c>, <c>512</c>.
/// Single letters and the <c>Ki</c>/<c>KiB</c> forms are powers of 1024; <c>kB</c>, <c>MB</c>... are powers of 1000.
/// </summary>
public static class HoconSize
{
    /// <summary>The accepted forms, for error messages.</summary>
    public const string ValidForms =
        "a whole number of bytes, optionally with a unit, such as 512, 64KiB, 1MiB, 10MB or 1k "
        + "(B; kB MB GB TB PB = powers of 1000; K M G T P, Ki Mi Gi Ti Pi, KiB MiB GiB TiB PiB = powers of 1024)";

    private static readonly Dictionary<string, decimal> BytesPerUnit = BuildUnits();

    /// <exception cref="FormatException">The text is not one of <see cref="ValidForms"/> or is out of range.</exception>
    public static long Parse(string text) =>
        TryParse(text, out var bytes)
            ? bytes
            : throw new FormatException($"'{text}' is not a size: expected {ValidForms}");

    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (!HoconNumber.TrySplit(text, out var number, out var unit) || !BytesPerUnit.TryGetValue(unit, out var perUnit))
        {
            return false;
        }

        try
        {
            var total = number * perUnit;
            if (total != decimal.Truncate(total) || total > long.MaxValue)
            {
                return false;
            }

            bytes = (long)total;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }

    private static Dictionary<string, decimal> BuildUnits()
    {
        var units = new Dictionary<string, decimal>(StringComparer.Ordinal);
        void Add(decimal bytes, params string[] names)
        {
            foreach (var name in names)
            {
                units[name] = bytes;
            }
        }

        Add(1, "", "B", "b", "byte", "bytes");
        string[] decimalPrefixes = ["k", "M", "G", "T", "P", "E"];
        string[] decimalNames = ["kilo", "mega", "giga", "tera", "peta", "exa"];
        string[] binaryNames = ["kibi", "mebi", "gibi", "tebi", "pebi", "exbi"];
        for (var i = 0; i < decimalPrefixes.Length; i++)
        {
            var power = i + 1;
            var letter = decimalPrefixes[i].ToUpperInvariant();
            Add(Power(1000, power), $"{decimalPrefixes[i]}B", $"{decimalNames[i]}byte", $"{decimalNames[i]}bytes");
            Add(
                Power(1024, power),
                letter,
                letter.ToLowerInvariant(),
                $"{letter}i",
                $"{letter}iB",
                $"{binaryNames[i]}byte",
                $"{binaryNames[i]}bytes");
        }

        return units;
    }

    private static decimal Power(decimal value, int exponent)
    {
        var result = 1m;
        for (var i = 0; i < exponent; i++)
        {
            result *= value;
        }

        return result;
    }
}
