using System.Text;

namespace LayerLock.Coordinator.Locks;

/// <summary>Turns a lock key into a child actor name: readable for digests (<c>sha256:…</c>), escaped otherwise.</summary>
internal static class ActorNames
{
    public static string ForKey(string key)
    {
        var name = new StringBuilder(key.Length);
        for (var i = 0; i < key.Length; i++)
        {
            var c = key[i];
            var escape = c is '%' or '/' || char.IsWhiteSpace(c) || char.IsControl(c) || (i == 0 && c == '$');
            if (escape)
            {
                foreach (var b in Encoding.UTF8.GetBytes(c.ToString()))
                {
                    name.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
                }
            }
            else
            {
                name.Append(c);
            }
        }

        return name.ToString();
    }
}
