namespace LayerLock.Hosting;

/// <summary>Bad command-line input; its message is the one line shown to the user.</summary>
public sealed class CommandLineException(string message) : Exception(message);
