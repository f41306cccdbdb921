using Xunit;

namespace LayerLock.Specs.Configuration;

public sealed class HoconErrorSpecs
{
    [Fact]
    public void Parser_should_report_a_missing_separator_after_a_key()
    {
        var error = Hocon.Error("agent {\n  ctr = \"ctr\"\n  listen }");

        Assert.Equal("test.conf:3:10: expected '=' , ':' or '{' after key 'listen' but found '}'", error.Message);
    }

    [Fact]
    public void Parser_should_report_an_unterminated_string()
    {
        var error = Hocon.Error("a = 1\nb = \"open\nc = 2");

        Assert.Equal("test.conf:2:5: expected '\"' to close the string but found end of line", error.Message);
    }

    [Fact]
    public void Parser_should_report_an_unterminated_object()
    {
        var error = Hocon.Error("a {\n  b = 1\n");

        Assert.Equal("test.conf:1:3: expected '}' to close the object opened here but found end of file", error.Message);
    }

    [Fact]
    public void Parser_should_report_an_unterminated_array()
    {
        var error = Hocon.Error("a = [1,\n 2\n");

        Assert.Equal("test.conf:1:5: expected ']' to close the array opened here but found end of file", error.Message);
    }

    [Fact]
    public void Parser_should_report_a_missing_value()
    {
        var error = Hocon.Error("a = 1\nb =   # nothing\nc = 2");

        Assert.Equal("test.conf:2:16: expected a value after '=' for key 'b' but found end of line", error.Message);
    }

    [Fact]
    public void Parser_should_report_a_key_with_an_empty_element()
    {
        var error = Hocon.Error("a..b = 1");

        Assert.Equal("test.conf:1:1: expected a key made of non-empty elements separated by '.' but found 'a..b'", error.Message);
    }

    [Fact]
    public void Parser_should_report_a_value_where_a_key_belongs()
    {
        var error = Hocon.Error("a = 1\n= 2");

        Assert.Equal("test.conf:2:1: expected a key but found '='", error.Message);
    }

    [Fact]
    public void Parser_should_report_an_invalid_escape()
    {
        var error = Hocon.Error("a = \"bad \\q\"");

        Assert.Equal("test.conf:1:10: expected an escape \\\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX but found '\\q'", error.Message);
    }

    [Fact]
    public void Parser_should_report_text_after_a_value()
    {
        var error = Hocon.Error("url = http://host");

        Assert.Equal("test.conf:1:11: expected ',' or a new line after the value of 'url' but found ':'", error.Message);
    }

    [Fact]
    public void Parser_should_report_an_unknown_substitution()
    {
        var error = Hocon.Error("a = 1\nb = \"x\"${missing.path}");

        Assert.Equal(
            "test.conf:2:8: expected setting 'missing.path' or environment variable 'missing.path' for substitution ${missing.path} but found neither",
            error.Message);
    }

    [Fact]
    public void Parser_should_report_a_substitution_cycle()
    {
        var error = Hocon.Error("a = ${b}\nb = ${c}\nc = ${a}");

        Assert.Equal("test.conf:3:5: expected substitutions that end in a value but found the cycle a -> b -> c -> a", error.Message);
    }

    [Fact]
    public void Parser_should_report_an_unterminated_substitution()
    {
        var error = Hocon.Error("a = ${b.c\n");

        Assert.Equal("test.conf:1:5: expected '}' to close the substitution '${b.c' but found end of line", error.Message);
    }

    [Fact]
    public void Parser_should_report_a_concatenation_of_an_object_and_a_string()
    {
        var error = Hocon.Error("o { x = 1 }\nbad = ${o} tail");

        Assert.Equal(
            "test.conf:2:7: expected values of one kind (all strings, all objects or all arrays) in a concatenation but found an object and a string",
            error.Message);
    }
}
