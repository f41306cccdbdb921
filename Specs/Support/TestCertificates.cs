using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using LayerLock.Hosting.Configuration;

namespace LayerLock.Specs.Support;

/// <summary>A private CA and the certificates it signs, as PEM files, for the mutual-TLS specs.</summary>
internal static class TestCertificates
{
    /// <summary>A self-signed CA certificate (with its key) for <paramref name="name"/>, valid for two days.</summary>
    public static X509Certificate2 CreateCa(string name)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(2));
    }

    /// <summary>
    /// Writes a certificate for <paramref name="name"/> (server and client use; 127.0.0.1 and localhost)
    /// signed by <paramref name="issuer"/>, its key, and <paramref name="trusted"/> as the CA, as PEM files
    /// in <paramref name="directory"/>.
    /// </summary>
    public static RemoteTls Issue(string directory, string name, X509Certificate2 issuer, X509Certificate2 trusted)
    {
        using var key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1"), new Oid("1.3.6.1.5.5.7.3.2")], false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using var certificate = request.Create(issuer, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(1), RandomNumberGenerator.GetBytes(8));
        var tls = new RemoteTls(
            Path.Combine(directory, $"{name}.crt"),
            Path.Combine(directory, $"{name}.key"),
            Path.Combine(directory, $"{name}-ca.crt"));
        File.WriteAllText(tls.Certificate, certificate.ExportCertificatePem());
        File.WriteAllText(tls.Key, key.ExportPkcs8PrivateKeyPem());
        File.WriteAllText(tls.Ca, trusted.ExportCertificatePem());
        return tls;
    }
}
