using System.Globalization;

namespace LayerLock.Actors.Configuration;

/// <summary>Splits "1.5 MiB" into 1.5 and "MiB": a non-negative decimal, optional spaces, then letters.</summary>
internal static class HoconNumber
{
    public static bool TrySplit(string? text, out decimal number, out string unit)
    {
        number = 0;
        unit = "";
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var trimmed = text.Trim();
        var end = 0;
        while (end < trimmed.Length && (char.IsAsciiDigit(trimmed[end]) || trimmed[end] == '.'))
        {
            end++;
        }

        unit = trimmed[end..].TrimStart();
        return end > 0
            && unit.All(char.IsAsciiLetter)
            && decimal.TryParse(trimmed.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out number);
    }
}
