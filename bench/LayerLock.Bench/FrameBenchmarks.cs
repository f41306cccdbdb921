using System.Text.Json;
using BenchmarkDotNet.Attributes;
using LayerLock.Messages.Session;

namespace LayerLock.Bench;

/// <summary>Session frames to and from JSON (System.Text.Json source generation).</summary>
[MemoryDiagnoser]
public class FrameBenchmarks
{
    private static readonly SessionFrame Granted = new GrantedFrame(42, "sha256:2f6c0b1b4d0c4f3c8e8a0d2e5b7c9a1f3e5d7c9b1a3f5e7d9c1b3a5f7e9d1c3b", 1099511627777);
    private static readonly byte[] LockJson = JsonSerializer.SerializeToUtf8Bytes<SessionFrame>(
        new LockFrame(42, "sha256:2f6c0b1b4d0c4f3c8e8a0d2e5b7c9a1f3e5d7c9b1a3f5e7d9c1b3a5f7e9d1c3b", 600_000),
        SessionJsonContext.Default.SessionFrame);

    [Benchmark]
    public byte[] EncodeGranted() => JsonSerializer.SerializeToUtf8Bytes(Granted, SessionJsonContext.Default.SessionFrame);

    [Benchmark]
    public SessionFrame? DecodeLock() => JsonSerializer.Deserialize(LockJson, SessionJsonContext.Default.SessionFrame);
}
