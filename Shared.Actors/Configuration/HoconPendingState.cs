namespace LayerLock.Actors.Configuration;

internal enum HoconPendingState
{
    Unresolved,
    Resolving,
    Resolved,
}
