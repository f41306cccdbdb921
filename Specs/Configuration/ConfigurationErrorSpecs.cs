using LayerLock.Hosting;
using LayerLock.Hosting.Configuration;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

/// <summary>
/// A file Akka's HOCON parser cannot use gives one line with the file and, where it can be known,
/// the line (and column). Several of these Akka's parser would accept silently (dropping the rest
/// of the file) or never return from; they are caught before it runs.
/// </summary>
public sealed class ConfigurationErrorSpecs
{
    [Theory]
    [InlineData("a {\n  b = 1\n}\n}\nc = 2", "test.conf:4:1: '}' closes nothing: no '{' is open here")]
    [InlineData("a {\n  b = 1\n", "test.conf:1:3: the '{' opened here is never closed with '}'")]
    [InlineData("a = 1\nb = \"open\nc = 2", "test.conf:2:5: the string opened here is not closed on its line")]
    [InlineData("a = [1,\n 2\n", "test.conf:1:5: the '[' opened here is never closed with ']'")]
    [InlineData("a = [1,\n 2\nb = 3", "test.conf:3:3: '=' inside the array opened at 1:5: an array holds values; put text with '=' in double quotes")]
    [InlineData("a = [1 }\nb = 2", "test.conf:1:8: '}' found where the '[' opened at 1:5 should be closed with ']'")]
    [InlineData("a = [ b = 1 ]", "test.conf:1:9: '=' inside the array opened at 1:5: an array holds values; put text with '=' in double quotes")]
    [InlineData("a = [1]\na += 2", "test.conf:2:3: '+=' is not supported by Akka's HOCON parser; write the whole array")]
    [InlineData("a = 1\nb = ${c", "test.conf:2:5: the substitution opened here is not closed with '}' on its line")]
    public void A_structural_error_should_give_file_line_and_column(string text, string expected)
    {
        Assert.Equal(expected, Error(text).Message);
    }

    [Fact]
    public void An_unknown_token_should_give_the_position_Akka_reports_as_line_and_column()
    {
        var error = Error("a = 1\nb = $x");

        Assert.Equal("test.conf:2:5: Akka's HOCON parser cannot read '$x' here", error.Message);
    }

    [Fact]
    public void An_unquoted_value_with_a_colon_should_give_the_line_and_say_to_quote_it()
    {
        var error = Error("a = 1\nb = 2\nurl = http://host\nc = 3");

        Assert.Equal(3, error.Line);
        Assert.StartsWith("test.conf:3: Could not parse an unquoted text value containing assignment character '=' or ':'.", error.Message);
        Assert.EndsWith("Put such values in double quotes, e.g. \"127.0.0.1:8080\".", error.Message);
    }

    [Fact]
    public void A_bad_escape_should_give_the_line()
    {
        var error = Error("a = 1\nb = \"bad \\q\"");

        Assert.Equal("test.conf:2: Unknown escape code: q", error.Message);
    }

    [Fact]
    public void A_key_without_a_value_should_name_the_setting()
    {
        var error = Error("agent {\n  ctr = \"ctr\"\n  listen\n}");

        Assert.Equal("test.conf: setting 'agent.listen' has no value", error.Message);
    }

    [Theory]
    [InlineData("a = 1\nb = \"open\nc = 2")]
    [InlineData("a = [ b = 1 ]")]
    [InlineData("a = 1\nurl = http://host")]
    [InlineData("p = ${p}")]
    public void Every_error_should_be_one_line(string text)
    {
        Assert.DoesNotContain('\n', Error(text).Message);
    }

    [Fact]
    public void A_bad_file_should_stop_LayerLockConfiguration_with_one_line_naming_the_file_and_line()
    {
        using var temp = new TempDirectory();
        var file = temp.Write("coordinator.conf", "layerlock.coordinator {\n  addr = \"127.0.0.1:1\"\n  keepalive { interval = 1s\n}\n");

        var error = Assert.Throws<ConfigurationFileException>(() => LayerLockConfiguration.Build(["--config", file], "missing.conf", new Dictionary<string, string>()));

        Assert.Equal($"{file}:1:23: the '{{' opened here is never closed with '}}'", error.Message);
    }

    private static ConfigurationFileException Error(string text) =>
        Assert.Throws<ConfigurationFileException>(() => new ConfigurationBuilder().AddHoconString(text, "test.conf").Build());
}
