using System.Globalization;
using System.Net;

namespace LayerLock.Coordinator.Hosting;

/// <summary>An <c>host:port</c> to listen on, as in the seed's <c>--addr 0.0.0.0:8080</c>.</summary>
public sealed record ListenAddress(IPAddress Address, int Port)
{
    /// <summary>Parses <c>127.0.0.1:8080</c>, <c>0.0.0.0:8080</c>, <c>[::1]:8080</c> or <c>localhost:8080</c>.</summary>
    /// <exception cref="FormatException">Says what is wrong and what is valid.</exception>
    public static ListenAddress Parse(string text, string setting)
    {
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new FormatException($"{setting} = '{text}' must be host:port, e.g. 127.0.0.1:8080");
        }

        var host = text[..colon].Trim('[', ']');
        var portText = text[(colon + 1)..];
        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new FormatException($"{setting} = '{text}': port must be a number from 1 to 65535");
        }

        var address = host.Equals("localhost", StringComparison.OrdinalIgnoreCase)
            ? IPAddress.Loopback
            : IPAddress.TryParse(host, out var parsed)
                ? parsed
                : throw new FormatException($"{setting} = '{text}': host must be an IP address or localhost");
        return new ListenAddress(address, port);
    }

    public override string ToString() =>
        Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";
}
