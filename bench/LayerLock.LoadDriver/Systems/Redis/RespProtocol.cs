using System.Buffers.Text;
using System.Text;

namespace LayerLock.LoadDriver.Systems.Redis;

/// <summary>
/// RESP2 over a stream: commands out as arrays of bulk strings, replies in (simple string, error,
/// integer, bulk string, array, nulls). Buffered; one reader per connection, not thread-safe.
/// </summary>
public sealed class RespProtocol(Stream stream)
{
    private const int MaxBulkBytes = 512 * 1024 * 1024;
    private const int MaxArrayItems = 1024 * 1024;
    private readonly byte[] _in = new byte[16 * 1024];
    private int _start;
    private int _end;
    private byte[] _out = new byte[1024];

    /// <summary>Sends one command, e.g. <c>SET key value NX PX 10000</c>.</summary>
    public async ValueTask WriteCommandAsync(IReadOnlyList<string> arguments, CancellationToken cancellation)
    {
        var length = Encode(arguments);
        await stream.WriteAsync(_out.AsMemory(0, length), cancellation).ConfigureAwait(false);
    }

    /// <exception cref="InvalidDataException">The bytes are not RESP2.</exception>
    /// <exception cref="EndOfStreamException">The connection closed mid-reply.</exception>
    public async ValueTask<RespValue> ReadReplyAsync(CancellationToken cancellation)
    {
        var line = await ReadLineAsync(cancellation).ConfigureAwait(false);
        var prefix = (char)line[0];
        var rest = line.AsSpan(1);
        switch (prefix)
        {
            case '+':
                return new RespValue(RespKind.SimpleString, Encoding.UTF8.GetString(rest));
            case '-':
                return new RespValue(RespKind.Error, Encoding.UTF8.GetString(rest));
            case ':':
                return new RespValue(RespKind.Integer, Integer: ParseInteger(rest));
            case '$':
                {
                    var length = ParseInteger(rest);
                    if (length == -1)
                    {
                        return RespValue.Null;
                    }

                    if (length is < 0 or > MaxBulkBytes)
                    {
                        throw new InvalidDataException($"RESP bulk length {length} is out of range");
                    }

                    var bytes = await ReadExactAsync((int)length + 2, cancellation).ConfigureAwait(false);
                    if (bytes[^2] != '\r' || bytes[^1] != '\n')
                    {
                        throw new InvalidDataException("RESP bulk string is not followed by CRLF");
                    }

                    return new RespValue(RespKind.BulkString, Encoding.UTF8.GetString(bytes, 0, (int)length));
                }

            case '*':
                {
                    var count = ParseInteger(rest);
                    if (count == -1)
                    {
                        return RespValue.Null;
                    }

                    if (count is < 0 or > MaxArrayItems)
                    {
                        throw new InvalidDataException($"RESP array length {count} is out of range");
                    }

                    var items = new RespValue[count];
                    for (var i = 0; i < items.Length; i++)
                    {
                        items[i] = await ReadReplyAsync(cancellation).ConfigureAwait(false);
                    }

                    return new RespValue(RespKind.Array, Items: items);
                }

            default:
                throw new InvalidDataException($"RESP reply starts with '{prefix}' (0x{line[0]:x2}); expected one of + - : $ *");
        }
    }

    private int Encode(IReadOnlyList<string> arguments)
    {
        var length = 0;
        Append(ref length, (byte)'*');
        AppendNumber(ref length, arguments.Count);
        foreach (var argument in arguments)
        {
            var byteCount = Encoding.UTF8.GetByteCount(argument);
            Append(ref length, (byte)'$');
            AppendNumber(ref length, byteCount);
            Ensure(length + byteCount + 2);
            length += Encoding.UTF8.GetBytes(argument, _out.AsSpan(length));
            _out[length++] = (byte)'\r';
            _out[length++] = (byte)'\n';
        }

        return length;
    }

    private void Append(ref int length, byte value)
    {
        Ensure(length + 1);
        _out[length++] = value;
    }

    private void AppendNumber(ref int length, long value)
    {
        Ensure(length + 22);
        Utf8Formatter.TryFormat(value, _out.AsSpan(length), out var written);
        length += written;
        _out[length++] = (byte)'\r';
        _out[length++] = (byte)'\n';
    }

    private void Ensure(int size)
    {
        if (size > _out.Length)
        {
            Array.Resize(ref _out, Math.Max(size, _out.Length * 2));
        }
    }

    private static long ParseInteger(ReadOnlySpan<byte> digits) =>
        Utf8Parser.TryParse(digits, out long value, out var consumed) && consumed == digits.Length
            ? value
            : throw new InvalidDataException($"RESP integer '{Encoding.UTF8.GetString(digits)}' is not a number");

    // A line without its CRLF; never empty.
    private async ValueTask<byte[]> ReadLineAsync(CancellationToken cancellation)
    {
        var scanned = 0;
        while (true)
        {
            var window = _in.AsSpan(_start + scanned, _end - _start - scanned);
            var newline = window.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var lineEnd = _start + scanned + newline;
                if (lineEnd == _start || _in[lineEnd - 1] != '\r')
                {
                    throw new InvalidDataException("RESP line does not end in CRLF or is empty");
                }

                var line = _in.AsSpan(_start, lineEnd - 1 - _start).ToArray();
                _start = lineEnd + 1;
                if (line.Length == 0)
                {
                    throw new InvalidDataException("RESP line is empty");
                }

                return line;
            }

            scanned = _end - _start;
            if (scanned == _in.Length)
            {
                throw new InvalidDataException($"RESP line longer than {_in.Length} bytes");
            }

            await FillAsync(cancellation).ConfigureAwait(false);
        }
    }

    private async ValueTask<byte[]> ReadExactAsync(int count, CancellationToken cancellation)
    {
        var bytes = new byte[count];
        var copied = 0;
        while (copied < count)
        {
            if (_start == _end)
            {
                await FillAsync(cancellation).ConfigureAwait(false);
            }

            var take = Math.Min(count - copied, _end - _start);
            _in.AsSpan(_start, take).CopyTo(bytes.AsSpan(copied));
            _start += take;
            copied += take;
        }

        return bytes;
    }

    // Moves unread bytes to the front, then reads at least one more.
    private async ValueTask FillAsync(CancellationToken cancellation)
    {
        if (_start > 0)
        {
            _in.AsSpan(_start, _end - _start).CopyTo(_in);
            _end -= _start;
            _start = 0;
        }

        var read = await stream.ReadAsync(_in.AsMemory(_end), cancellation).ConfigureAwait(false);
        if (read == 0)
        {
            throw new EndOfStreamException("the Redis connection closed mid-reply");
        }

        _end += read;
    }
}
