using System.Globalization;
using LayerLock.Hosting.Storage;

namespace LayerLock.Coordinator.Locks;

/// <summary>
/// Issues fencing tokens: int64 values that strictly increase across all keys and across
/// Coordinator restarts.
/// </summary>
/// <remarks>
/// Why this is safe: a token is <c>epoch &lt;&lt; 40 | counter</c>. Each start reads the last
/// epoch from <c>fencing-epoch</c> in the state dir and durably writes epoch + 1 (temp file,
/// fsync, rename, fsync of the directory) <em>before</em> the first grant. Every token of a run
/// therefore lies in [epoch·2^40, (epoch+1)·2^40), above every token of every earlier run, even
/// one that crashed without writing anything more. One run would need 2^40 grants (over a
/// trillion) to reach the next epoch; <see cref="Next"/> refuses rather than wrap. A claimed
/// token from a holder (recovery) that lies at or above the current range — a lost or copied
/// state dir — raises the range and the persisted epoch above it (<see cref="EnsureAbove"/>).
/// </remarks>
public sealed class FencingTokenSource
{
    public const int CounterBits = 40;
    private const string FileName = "fencing-epoch";
    private readonly Lock _sync = new();
    private readonly string? _file;
    private long _last;
    private long _rangeEnd;

    private FencingTokenSource(string? file, long epoch)
    {
        _file = file;
        Epoch = epoch;
        EpochStart = epoch << CounterBits;
        _last = EpochStart;
        _rangeEnd = (epoch + 1) << CounterBits;
    }

    /// <summary>The epoch of this run (1 on a fresh state dir).</summary>
    public long Epoch { get; private set; }

    /// <summary>The first token value of this run; every token below it was issued by an earlier run.</summary>
    public long EpochStart { get; }

    /// <summary>The last token issued (or <see cref="EpochStart"/> before the first).</summary>
    public long Last => Interlocked.Read(ref _last);

    /// <summary>Reads the last epoch in <paramref name="stateDirectory"/> and durably starts the next one.</summary>
    /// <exception cref="InvalidDataException">The epoch file is corrupt; it is left as it is for an operator to look at.</exception>
    public static FencingTokenSource Open(string stateDirectory)
    {
        Directory.CreateDirectory(stateDirectory);
        var file = Path.Combine(stateDirectory, FileName);
        long previous = 0;
        if (File.Exists(file))
        {
            var text = File.ReadAllText(file).Trim();
            if (!long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out previous) || previous < 0)
            {
                throw new InvalidDataException(
                    $"{file} holds '{text}', not an epoch number; fix or remove it (removing it may reissue old tokens)");
            }
        }

        var epoch = previous + 1;
        DurableFile.WriteAllText(file, epoch.ToString(CultureInfo.InvariantCulture) + "\n");
        return new FencingTokenSource(file, epoch);
    }

    /// <summary>A source that persists nothing, for specs of lock semantics.</summary>
    public static FencingTokenSource InMemory(long epoch = 1) => new(null, epoch);

    /// <summary>The next token; strictly greater than every token issued or accepted before.</summary>
    public long Next()
    {
        var token = Interlocked.Increment(ref _last);
        if (token >= Interlocked.Read(ref _rangeEnd))
        {
            throw new InvalidOperationException("the fencing-token range of this epoch is exhausted; restart the Coordinator");
        }

        return token;
    }

    /// <summary>Makes every later token greater than <paramref name="token"/> (a valid claimed token).</summary>
    public void EnsureAbove(long token)
    {
        lock (_sync)
        {
            var last = Interlocked.Read(ref _last);
            if (token <= last)
            {
                return;
            }

            Interlocked.Exchange(ref _last, token);
            if (token >= Interlocked.Read(ref _rangeEnd))
            {
                // The claim comes from a run this state dir never knew: move past its epoch for good.
                var claimedEpoch = token >> CounterBits;
                Epoch = claimedEpoch;
                Interlocked.Exchange(ref _rangeEnd, (claimedEpoch + 1) << CounterBits);
                if (_file is not null)
                {
                    DurableFile.WriteAllText(_file, claimedEpoch.ToString(CultureInfo.InvariantCulture) + "\n");
                }
            }
        }
    }
}
