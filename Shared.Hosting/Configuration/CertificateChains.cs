using System.Security.Cryptography.X509Certificates;

namespace LayerLock.Hosting.Configuration;

/// <summary>
/// Trust in our own CA (or a self-signed certificate) rather than the system's store: the one
/// chain check behind the agent link's TLS (<see cref="RemoteTls"/>) and the agent's trust of an
/// https:// Coordinator.
/// </summary>
public static class CertificateChains
{
    /// <summary>Every certificate of a PEM file, as trust anchors.</summary>
    /// <exception cref="FormatException">The file holds no PEM certificate.</exception>
    public static X509Certificate2Collection Anchors(string pemFile)
    {
        var anchors = new X509Certificate2Collection();
        anchors.ImportFromPemFile(pemFile);
        return anchors.Count > 0 ? anchors : throw new FormatException($"{pemFile} holds no PEM certificate");
    }

    /// <summary>
    /// True when <paramref name="certificate"/> builds a chain to one of <paramref name="anchors"/>
    /// (custom root trust, no revocation check); otherwise <paramref name="status"/> says why not.
    /// </summary>
    public static bool EndsAt(X509Certificate2Collection anchors, X509Certificate2 certificate, out string status)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(anchors);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        var built = chain.Build(certificate);
        status = built ? string.Empty : string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation.Trim()));
        return built;
    }
}
