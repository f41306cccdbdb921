using System.Globalization;
using System.Text;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// Turns a lock key into a child actor name: readable for digests (<c>sha256:…</c>), escaped
/// otherwise. Akka path elements allow letters, digits and <c>-_.*$+:@&amp;=,!~';</c> (not <c>$</c>
/// first) and <c>%XX</c> escapes (Akka's <c>ActorPath.IsValidPathElement</c>); every other UTF-8
/// byte becomes <c>%XX</c>, so distinct keys give distinct names.
/// </summary>
internal static class ActorNames
{
    private const string Symbols = "-_.*$+:@&=,!~';";

    public static string ForKey(string key)
    {
        var name = new StringBuilder(key.Length);
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            var plain = (char.IsAsciiLetterOrDigit(c) || Symbols.Contains(c)) && !(i == 0 && c == '$');
            if (plain)
            {
                name.Append(c);
                continue;
            }

            var length = char.IsSurrogatePair(key, i) ? 2 : 1;
            foreach (var b in Encoding.UTF8.GetBytes(key.Substring(i, length)))
            {
                name.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }

            i += length - 1;
        }

        return name.ToString();
    }
}
