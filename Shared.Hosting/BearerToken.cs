using System.Security.Cryptography;
using System.Text;

namespace LayerLock.Hosting;

/// <summary>
/// The shared-secret check for an <c>Authorization</c> header (RFC 6750's <c>Bearer</c> scheme,
/// matched case-insensitively as RFC 7235 asks; the token compared in constant time). Used by the
/// Coordinator's HTTP API and agent registrations, and by the agents' peer endpoints.
/// </summary>
public static class BearerToken
{
    /// <returns>Null when <paramref name="header"/> carries the secret, else why not (never the token itself).</returns>
    public static string? Refusal(string header, byte[] expected)
    {
        if (header.Length == 0)
        {
            return "no Authorization header";
        }

        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return "the Authorization header is not a Bearer token";
        }

        return Matches(expected, header["Bearer ".Length..].Trim()) ? null : "wrong token";
    }

    /// <summary>Whether <paramref name="presented"/> is the secret (UTF-8 bytes <paramref name="expected"/>), compared in constant time.</summary>
    public static bool Matches(byte[] expected, string? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), expected);
}
