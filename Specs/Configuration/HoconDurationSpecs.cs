using LayerLock.Actors.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

public sealed class HoconDurationSpecs
{
    [Theory]
    [InlineData("500ms", 500)]
    [InlineData("5s", 5_000)]
    [InlineData("1m", 60_000)]
    [InlineData("2h", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("250", 250)]
    [InlineData("1.5s", 1_500)]
    [InlineData(" 10 s ", 10_000)]
    public void Duration_should_parse_short_units(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), HoconDuration.Parse(text));
    }

    [Theory]
    [InlineData("5 seconds", 5_000)]
    [InlineData("1 second", 1_000)]
    [InlineData("200 milliseconds", 200)]
    [InlineData("3 minutes", 180_000)]
    [InlineData("1 hour", 3_600_000)]
    [InlineData("2 days", 172_800_000)]
    public void Duration_should_parse_long_units(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), HoconDuration.Parse(text));
    }

    [Fact]
    public void Duration_should_parse_sub_millisecond_units_to_ticks()
    {
        Assert.Equal(TimeSpan.FromTicks(15), HoconDuration.Parse("1500ns"));
        Assert.Equal(TimeSpan.FromTicks(20), HoconDuration.Parse("2us"));
    }

    [Theory]
    [InlineData("5 fortnights")]
    [InlineData("-5s")]
    [InlineData("s")]
    [InlineData("fast")]
    [InlineData("")]
    [InlineData("99999999999999d")]
    public void Duration_should_reject_values_that_are_not_durations(string text)
    {
        var error = Assert.Throws<FormatException>(() => HoconDuration.Parse(text));

        Assert.Contains($"'{text}' is not a duration: expected", error.Message);
        Assert.Contains("500ms, 5s, 1m, 2h or 1d", error.Message);
    }
}
