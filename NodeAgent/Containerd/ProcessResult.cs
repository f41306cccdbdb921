namespace LayerLock.NodeAgent.Containerd;

/// <summary>How a child process ended.</summary>
/// <param name="ExitCode">The process's exit code.</param>
/// <param name="Stdout">Standard output, lines joined with '\n'; empty when it was handed to a stream reader.</param>
/// <param name="Stderr">Standard error, at most the last 64 KiB.</param>
internal sealed record ProcessResult(int ExitCode, string Stdout, string Stderr);
