using System.Text;
using CliWrap;

namespace LayerLock.NodeAgent.Containerd;

/// <summary>
/// The standard error of one <c>ctr</c> call, bounded: up to <paramref name="limit"/> characters are kept
/// whole; past that only the tail is kept (a failing command's reason is usually its last line), after a
/// "[stderr truncated]" line, so the text never exceeds <paramref name="limit"/> characters.
/// </summary>
internal sealed class StderrTail(int limit)
{
    private const string TruncatedMarker = "[stderr truncated]\n";
    private readonly StringBuilder _kept = new();
    private bool _truncated;

    /// <summary>Reads the stream it is given to its end as UTF-8, keeping what this tail holds.</summary>
    public PipeTarget Target => PipeTarget.Create(ReadAsync);

    /// <summary>What was kept; read it only once the stream has been read to its end.</summary>
    public override string ToString() => _truncated ? TruncatedMarker + _kept : _kept.ToString();

    private async Task ReadAsync(Stream origin, CancellationToken cancellation)
    {
        var tailKept = limit - TruncatedMarker.Length;
        using var reader = new StreamReader(origin, Encoding.UTF8, detectEncodingFromByteOrderMarks: false, bufferSize: 4096, leaveOpen: true);
        var buffer = new char[4096];
        int read;
        while ((read = await reader.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
        {
            _kept.Append(buffer, 0, read);
            _truncated |= _kept.Length > limit;
            if (_truncated && _kept.Length > tailKept)
            {
                _kept.Remove(0, _kept.Length - tailKept);
            }
        }
    }
}
