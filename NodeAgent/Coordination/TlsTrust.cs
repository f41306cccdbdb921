using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using LayerLock.Hosting.Configuration;

namespace LayerLock.NodeAgent.Coordination;

/// <summary>Trusts one given certificate (a private CA or the Coordinator's self-signed one) besides the system's.</summary>
internal static class TlsTrust
{
    public static RemoteCertificateValidationCallback For(string pemFile)
    {
        var anchors = CertificateChains.Anchors(pemFile);
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

            return CertificateChains.EndsAt(anchors, X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()), out _);
        };
    }
}
