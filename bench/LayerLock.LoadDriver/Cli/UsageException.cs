namespace LayerLock.LoadDriver.Cli;

/// <summary>Bad command-line input; the message says what is valid. Exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
