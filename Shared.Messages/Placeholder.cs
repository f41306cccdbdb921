namespace LayerLock.Messages; public sealed record Placeholder;
