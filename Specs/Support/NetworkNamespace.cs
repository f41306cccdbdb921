using System.Diagnostics;

namespace LayerLock.Specs.Support;

/// <summary>
/// A network namespace of the spec's own, joined to the host by a veth pair with addresses used
/// only between the two. <see cref="Cut"/> downs the host end: a silent cut, no FIN and no RST.
/// Created and removed by the spec (needs root and iproute2).
/// </summary>
internal sealed class NetworkNamespace : IDisposable
{
    private NetworkNamespace(string name, string hostInterface, string subnet)
    {
        Name = name;
        HostInterface = hostInterface;
        HostAddress = $"{subnet}.1";
        InsideAddress = $"{subnet}.2";
    }

    public string Name { get; }

    public string HostInterface { get; }

    /// <summary>The host end's address, reachable from inside the namespace.</summary>
    public string HostAddress { get; }

    public string InsideAddress { get; }

    public static NetworkNamespace Create()
    {
        var id = Random.Shared.Next(0x1000, 0xFFFF).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
        var subnet = $"10.231.{Random.Shared.Next(1, 254)}";
        var ns = new NetworkNamespace($"llns{id}", $"llh{id}", subnet);
        var inside = $"lln{id}";
        try
        {
            Ip("netns", "add", ns.Name);
            Ip("link", "add", ns.HostInterface, "type", "veth", "peer", "name", inside);
            Ip("link", "set", inside, "netns", ns.Name);
            Ip("addr", "add", $"{ns.HostAddress}/30", "dev", ns.HostInterface);
            Ip("link", "set", ns.HostInterface, "up");
            Ip("netns", "exec", ns.Name, "ip", "addr", "add", $"{ns.InsideAddress}/30", "dev", inside);
            Ip("netns", "exec", ns.Name, "ip", "link", "set", inside, "up");
            Ip("netns", "exec", ns.Name, "ip", "link", "set", "lo", "up");
        }
        catch
        {
            ns.Dispose();
            throw;
        }

        return ns;
    }

    /// <summary>Packets between host and namespace are dropped from now on, with no notice to either end.</summary>
    public void Cut() => Ip("link", "set", HostInterface, "down");

    public void Restore() => Ip("link", "set", HostInterface, "up");

    public void Dispose()
    {
        TryIp("link", "del", HostInterface);
        TryIp("netns", "del", Name);
    }

    private static void Ip(params string[] arguments)
    {
        var (exit, error) = Run(arguments);
        if (exit != 0)
        {
            throw new InvalidOperationException($"ip {string.Join(' ', arguments)} failed ({exit}): {error}");
        }
    }

    private static void TryIp(params string[] arguments) => Run(arguments);

    private static (int Exit, string Error) Run(string[] arguments)
    {
        var info = new ProcessStartInfo("ip") { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Trim());
    }
}
