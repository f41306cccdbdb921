namespace LayerLock.LoadDriver.Workloads;

public static class LoopDrain
{
    /// <summary>Waits for every client loop; a loop that ended by cancellation (the drain limit) is counted, not thrown.</summary>
    /// <returns>How many loops were cancelled.</returns>
    public static async Task<int> WaitAllAsync(IEnumerable<Task> loops)
    {
        var cancelled = 0;
        foreach (var loop in loops)
        {
            try
            {
                await loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                cancelled++;
            }
        }

        return cancelled;
    }
}
