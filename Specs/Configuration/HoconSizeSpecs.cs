using LayerLock.Actors.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

public sealed class HoconSizeSpecs
{
    [Theory]
    [InlineData("512", 512)]
    [InlineData("512B", 512)]
    [InlineData("10 bytes", 10)]
    [InlineData("64KiB", 65_536)]
    [InlineData("1k", 1_024)]
    [InlineData("1K", 1_024)]
    [InlineData("1MiB", 1_048_576)]
    [InlineData("2m", 2_097_152)]
    [InlineData("10MB", 10_000_000)]
    [InlineData("1kB", 1_000)]
    [InlineData("1.5KiB", 1_536)]
    [InlineData("1GiB", 1_073_741_824)]
    [InlineData("2 mebibytes", 2_097_152)]
    public void Size_should_parse_binary_and_decimal_units(string text, long bytes)
    {
        Assert.Equal(bytes, HoconSize.Parse(text));
    }

    [Theory]
    [InlineData("64 kibbles")]
    [InlineData("-1")]
    [InlineData("0.5B")]
    [InlineData("KiB")]
    [InlineData("100EiB")]
    public void Size_should_reject_values_that_are_not_sizes(string text)
    {
        var error = Assert.Throws<FormatException>(() => HoconSize.Parse(text));

        Assert.Contains($"'{text}' is not a size: expected", error.Message);
        Assert.Contains("64KiB", error.Message);
    }
}
