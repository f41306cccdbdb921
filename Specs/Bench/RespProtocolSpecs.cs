using System.Text;
using LayerLock.LoadDriver.Systems.Redis;
using Xunit;

namespace LayerLock.Specs.Bench;

public sealed class RespProtocolSpecs
{
    [Fact]
    public async Task WriteCommand_should_encode_an_array_of_bulk_strings()
    {
        var stream = new MemoryStream();
        var resp = new RespProtocol(stream);

        await resp.WriteCommandAsync(["SET", "k", "tökén", "NX", "PX", "10000"], CancellationToken.None);

        Assert.Equal("*6\r\n$3\r\nSET\r\n$1\r\nk\r\n$7\r\ntökén\r\n$2\r\nNX\r\n$2\r\nPX\r\n$5\r\n10000\r\n", Encoding.UTF8.GetString(stream.ToArray()));
    }

    [Fact]
    public async Task ReadReply_should_read_every_RESP2_type_in_sequence()
    {
        var resp = Over("+OK\r\n-ERR wrong\r\n:42\r\n$5\r\nhe\r\nl\r\n$-1\r\n*-1\r\n*3\r\n:1\r\n$0\r\n\r\n*1\r\n+x\r\n");

        Assert.Equal(new RespValue(RespKind.SimpleString, "OK"), await resp.ReadReplyAsync(CancellationToken.None));
        Assert.Equal(new RespValue(RespKind.Error, "ERR wrong"), await resp.ReadReplyAsync(CancellationToken.None));
        Assert.Equal(42, (await resp.ReadReplyAsync(CancellationToken.None)).Integer);
        Assert.Equal("he\r\nl", (await resp.ReadReplyAsync(CancellationToken.None)).Text);
        Assert.Equal(RespKind.Null, (await resp.ReadReplyAsync(CancellationToken.None)).Kind);
        Assert.Equal(RespKind.Null, (await resp.ReadReplyAsync(CancellationToken.None)).Kind);
        var array = await resp.ReadReplyAsync(CancellationToken.None);
        Assert.Equal(RespKind.Array, array.Kind);
        Assert.Equal("[1, , [x]]", array.ToString());
    }

    [Fact]
    public async Task ReadReply_should_read_a_reply_that_arrives_one_byte_at_a_time()
    {
        var resp = new RespProtocol(new OneByteStream(Encoding.UTF8.GetBytes("$11\r\nhello world\r\n:7\r\n")));

        Assert.Equal("hello world", (await resp.ReadReplyAsync(CancellationToken.None)).Text);
        Assert.Equal(7, (await resp.ReadReplyAsync(CancellationToken.None)).Integer);
    }

    [Theory]
    [InlineData("?what\r\n")]
    [InlineData(":12x\r\n")]
    [InlineData("$3\r\nabcd\r\n")]
    [InlineData("+no carriage return\n")]
    [InlineData("$-2\r\n")]
    public async Task ReadReply_should_refuse_bytes_that_are_not_RESP2(string bytes)
    {
        await Assert.ThrowsAsync<InvalidDataException>(async () => await Over(bytes).ReadReplyAsync(CancellationToken.None));
    }

    [Fact]
    public async Task ReadReply_should_throw_end_of_stream_when_the_connection_closes_mid_reply()
    {
        await Assert.ThrowsAsync<EndOfStreamException>(async () => await Over("$10\r\nabc").ReadReplyAsync(CancellationToken.None));
    }

    private static RespProtocol Over(string bytes) => new(new MemoryStream(Encoding.UTF8.GetBytes(bytes)));

    private sealed class OneByteStream(byte[] bytes) : MemoryStream(bytes)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(1, buffer.Length)], cancellationToken);
    }
}
