using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace LayerLock.NodeAgent.Coordination;

/// <summary>Trusts one given certificate (a private CA or the Coordinator's self-signed one) besides the system's.</summary>
internal static class TlsTrust
{
    public static RemoteCertificateValidationCallback For(string pemFile)
    {
        var anchor = LoadPemCertificate(pemFile);
        return (_, certificate, _, errors) =>
        {
            if (errors == SslPolicyErrors.None)
            {
                return true;
            }

            // A wrong host name is never forgiven; only the chain may end at our own anchor.
            if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
            {
                return false;
            }

            using var chain = new X509Chain();
            chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
            chain.ChainPolicy.CustomTrustStore.Add(anchor);
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
        };
    }

    /// <summary>Reads the first certificate of a PEM file (no private key needed).</summary>
    /// <exception cref="FormatException">The file holds no PEM certificate.</exception>
    public static X509Certificate2 LoadPemCertificate(string pemFile)
    {
        var pem = File.ReadAllText(pemFile);
        foreach (var (label, der) in PemBlocks(pem))
        {
            if (label == "CERTIFICATE")
            {
                return X509CertificateLoader.LoadCertificate(der);
            }
        }

        throw new FormatException($"{pemFile} holds no PEM certificate");
    }

    private static IEnumerable<(string Label, byte[] Der)> PemBlocks(string pem)
    {
        var rest = pem.AsMemory();
        while (PemEncoding.TryFind(rest.Span, out var fields))
        {
            var label = rest.Span[fields.Label].ToString();
            var der = Convert.FromBase64String(rest.Span[fields.Base64Data].ToString());
            rest = rest[fields.Location.End..];
            yield return (label, der);
        }
    }
}
