using System.Security.Cryptography.X509Certificates;
using Akka.Event;
using Akka.Remote.Transport.DotNetty;
using Microsoft.Extensions.Configuration;

namespace LayerLock.Hosting.Configuration;

/// <summary>
/// TLS with mutual authentication for the Akka.Remote agent link, from PEM files: this side's
/// certificate and private key, and the CA that every peer's certificate must chain to. Only that
/// CA is trusted — not the system's store — and host names are not checked (peers are known by
/// their certificate, and agents connect from anywhere). Read from <c>&lt;section&gt;:remote-tls</c>
/// (<c>certificate</c>, <c>key</c>, <c>ca</c>; all three empty = plain TCP).
/// </summary>
public sealed record RemoteTls(string Certificate, string Key, string Ca)
{
    /// <summary>The <c>akka { }</c> setting that turns TLS on for DotNetty; the certificate and validation come from <see cref="ToSetup"/>.</summary>
    public const string Hocon = "akka.remote.dot-netty.tcp.enable-ssl = on";

    /// <returns>Null when <c>certificate</c>, <c>key</c> and <c>ca</c> are all empty.</returns>
    /// <exception cref="FormatException">Only some are set, or a file does not exist; the message names the setting.</exception>
    public static RemoteTls? From(IConfiguration configuration, string section)
    {
        var tls = configuration.GetSection($"{section}:remote-tls");
        var (certificate, key, ca) = (tls["certificate"], tls["key"], tls["ca"]);
        if (string.IsNullOrEmpty(certificate) && string.IsNullOrEmpty(key) && string.IsNullOrEmpty(ca))
        {
            return null;
        }

        if (string.IsNullOrEmpty(certificate) || string.IsNullOrEmpty(key) || string.IsNullOrEmpty(ca))
        {
            throw new FormatException($"{section}:remote-tls needs certificate, key and ca (PEM files), or none of them for plain TCP");
        }

        foreach (var file in new[] { certificate, key, ca })
        {
            if (!File.Exists(file))
            {
                throw new FormatException($"{section}:remote-tls: {file} does not exist");
            }
        }

        return new RemoteTls(certificate, key, ca);
    }

    /// <summary>
    /// The ActorSystem setup that gives DotNetty this side's certificate and a validator that
    /// accepts a peer only if it presents a certificate chaining to <see cref="Ca"/>; mutual
    /// authentication is required on both sides.
    /// </summary>
    public DotNettySslSetup ToSetup()
    {
        var certificate = LoadCertificate();
        var anchors = CertificateChains.Anchors(Ca);
        return new DotNettySslSetup(certificate, suppressValidation: false, requireMutualAuthentication: true, validateCertificateHostname: false,
            customValidator: (peer, _, remotePeer, _, log) => ChainsTo(anchors, peer, remotePeer, log));
    }

    /// <summary>This side's certificate with its private key, usable by <c>SslStream</c> as a server or a client.</summary>
    public X509Certificate2 LoadCertificate()
    {
        // Re-exported through PKCS#12: a key read from PEM is ephemeral, which SslStream cannot
        // use for a server certificate on every platform.
        using var pem = X509Certificate2.CreateFromPemFile(Certificate, Key);
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
    }

    /// <summary>Whether a peer's certificate chains to <see cref="Ca"/> (host names are not checked; null = none presented = refused).</summary>
    public Func<X509Certificate?, bool> PeerValidator()
    {
        var anchors = CertificateChains.Anchors(Ca);
        return peer => peer is not null && CertificateChains.EndsAt(anchors, peer as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(peer.GetRawCertData()), out _);
    }

    private static bool ChainsTo(X509Certificate2Collection anchors, X509Certificate2? peer, string remotePeer, ILoggingAdapter log)
    {
        if (peer is null)
        {
            log.Warning("remote-tls.refused {Peer}: no certificate presented", remotePeer);
            return false;
        }

        if (CertificateChains.EndsAt(anchors, peer, out var status))
        {
            return true;
        }

        log.Warning("remote-tls.refused {Peer} {Subject}: {Status}", remotePeer, peer.Subject, status);
        return false;
    }
}
