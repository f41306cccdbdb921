namespace LayerLock.Actors; public sealed record Placeholder;
