using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;

namespace LayerLock.Specs.Support;

/// <summary>
/// Builds an OCI image-layout tarball for <c>ctr images import</c>, with no registry and no internet:
/// gzip'd tar layers, a config, a manifest per platform, and optionally an index over them.
/// </summary>
internal sealed class OciArchive
{
    private const string ManifestType = "application/vnd.oci.image.manifest.v1+json";
    private const string IndexType = "application/vnd.oci.image.index.v1+json";
    private readonly Dictionary<string, byte[]> _blobs = new(StringComparer.Ordinal);
    private readonly List<JsonObject> _manifests = [];

    /// <summary>Adds an image manifest for <paramref name="platform"/> ("linux/amd64") with one layer per text.</summary>
    public OciManifest AddManifest(string platform, params string[] layerTexts) =>
        AddManifest(platform, [.. layerTexts.Select((text, i) => Tar($"{i}.txt", Encoding.UTF8.GetBytes(text)))]);

    /// <summary>
    /// Adds an image manifest for <paramref name="platform"/> with one layer per size: a file of that
    /// many pseudo-random bytes (from <paramref name="seed"/>), so the gzip'd layer is a little larger.
    /// </summary>
    public OciManifest AddRandomManifest(string platform, int seed, params int[] layerBytes)
    {
        var random = new Random(seed);
        return AddManifest(platform, [.. layerBytes.Select((size, i) =>
        {
            var content = new byte[size];
            random.NextBytes(content);
            return Tar($"{i}.bin", content);
        })]);
    }

    private OciManifest AddManifest(string platform, IReadOnlyList<byte[]> layerTars)
    {
        var (os, architecture) = platform.Split('/') is [var o, var a] ? (o, a) : throw new ArgumentException($"platform '{platform}' is not os/arch");
        var layers = new List<JsonObject>();
        var diffIds = new JsonArray();
        foreach (var tar in layerTars)
        {
            diffIds.Add(Digest(tar));
            layers.Add(Descriptor("application/vnd.oci.image.layer.v1.tar+gzip", AddBlob(Gzip(tar))));
        }

        var config = new JsonObject
        {
            ["architecture"] = architecture,
            ["os"] = os,
            ["rootfs"] = new JsonObject { ["type"] = "layers", ["diff_ids"] = diffIds },
            ["config"] = new JsonObject(),
        };
        var manifest = new JsonObject
        {
            ["schemaVersion"] = 2,
            ["mediaType"] = ManifestType,
            ["config"] = Descriptor("application/vnd.oci.image.config.v1+json", AddBlob(Json(config))),
            ["layers"] = new JsonArray([.. layers]),
        };
        var descriptor = Descriptor(ManifestType, AddBlob(Json(manifest)));
        descriptor["platform"] = new JsonObject { ["architecture"] = architecture, ["os"] = os };
        _manifests.Add(descriptor);
        return new OciManifest(descriptor["digest"]!.GetValue<string>(), [.. layers.Select(l => l["digest"]!.GetValue<string>())]);
    }

    /// <summary>
    /// Writes the tarball. One manifest is named <paramref name="name"/> directly; with
    /// <paramref name="asIndex"/> (or several manifests) an index over all of them is named instead,
    /// like a multi-platform image in a registry. Returns the digest the image will point at.
    /// </summary>
    public string Write(string path, string name, bool asIndex = false)
    {
        JsonObject target;
        if (asIndex || _manifests.Count != 1)
        {
            var index = new JsonObject
            {
                ["schemaVersion"] = 2,
                ["mediaType"] = IndexType,
                ["manifests"] = new JsonArray([.. _manifests.Select(m => m.DeepClone())]),
            };
            target = Descriptor(IndexType, AddBlob(Json(index)));
        }
        else
        {
            target = (JsonObject)_manifests[0].DeepClone();
        }

        target["annotations"] = new JsonObject { ["org.opencontainers.image.ref.name"] = name };
        var layout = new JsonObject { ["schemaVersion"] = 2, ["manifests"] = new JsonArray(target) };
        using var file = File.Create(path);
        using var writer = new TarWriter(file, TarEntryFormat.Pax);
        AddEntry(writer, "oci-layout", Encoding.UTF8.GetBytes("""{"imageLayoutVersion":"1.0.0"}"""));
        AddEntry(writer, "index.json", Json(layout));
        foreach (var (digest, bytes) in _blobs)
        {
            AddEntry(writer, $"blobs/sha256/{digest["sha256:".Length..]}", bytes);
        }

        return target["digest"]!.GetValue<string>();
    }

    public static string Digest(byte[] bytes) => $"sha256:{Convert.ToHexStringLower(SHA256.HashData(bytes))}";

    private (string Digest, int Size) AddBlob(byte[] bytes)
    {
        var digest = Digest(bytes);
        _blobs[digest] = bytes;
        return (digest, bytes.Length);
    }

    private static JsonObject Descriptor(string mediaType, (string Digest, int Size) blob) =>
        new() { ["mediaType"] = mediaType, ["digest"] = blob.Digest, ["size"] = blob.Size };

    private static byte[] Json(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    private static byte[] Tar(string fileName, byte[] content)
    {
        using var buffer = new MemoryStream();
        using (var writer = new TarWriter(buffer, TarEntryFormat.Pax, leaveOpen: true))
        {
            AddEntry(writer, fileName, content);
        }

        return buffer.ToArray();
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(bytes);
        }

        return buffer.ToArray();
    }

    private static void AddEntry(TarWriter writer, string name, byte[] bytes)
    {
        var entry = new PaxTarEntry(TarEntryType.RegularFile, name)
        {
            DataStream = new MemoryStream(bytes),
            Mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead,

            // A fixed time, so the same text makes the same layer in any image (shared layers).
            ModificationTime = DateTimeOffset.UnixEpoch,
        };
        writer.WriteEntry(entry);
    }
}
