namespace LayerLock.Actors.TestKit;

/// <summary>A <see cref="TestProbe"/> expectation that did not hold; the message says what arrived instead.</summary>
public sealed class ExpectationFailedException(string message) : Exception(message);
