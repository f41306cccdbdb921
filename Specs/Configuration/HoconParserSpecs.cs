using Xunit;

namespace LayerLock.Specs.Configuration;

public sealed class HoconParserSpecs
{
    [Fact]
    public void Parser_should_read_root_object_without_braces()
    {
        var data = Hocon.Read("a = 1\nb = two");

        Assert.Equal("1", data["a"]);
        Assert.Equal("two", data["b"]);
    }

    [Fact]
    public void Parser_should_read_root_object_with_braces()
    {
        var data = Hocon.Read("\n{\n  a = 1\n  b { c = 2 }\n}\n");

        Assert.Equal("1", data["a"]);
        Assert.Equal("2", data["b:c"]);
    }

    [Fact]
    public void Parser_should_expand_dotted_keys_into_nested_objects()
    {
        var dotted = Hocon.Read("a.b.c = 1");
        var nested = Hocon.Read("a { b { c = 1 } }");

        Assert.Equal("1", dotted["a:b:c"]);
        Assert.Equal(nested, dotted);
    }

    [Fact]
    public void Parser_should_accept_equals_colon_and_open_brace_as_separators()
    {
        var data = Hocon.Read("a = 1\nb : 2\nc { d = 3 }\ne={f=4}");

        Assert.Equal("1", data["a"]);
        Assert.Equal("2", data["b"]);
        Assert.Equal("3", data["c:d"]);
        Assert.Equal("4", data["e:f"]);
    }

    [Fact]
    public void Parser_should_separate_fields_with_commas_or_newlines()
    {
        var data = Hocon.Read("a = 1, b = 2\nc = 3,\nd { x = 1, y = 2, }");

        Assert.Equal("1|2|3|1|2", Hocon.Values(data, "a", "b", "c", "d:x", "d:y"));
    }

    [Fact]
    public void Parser_should_decode_json_escapes_in_quoted_strings()
    {
        var data = Hocon.Read("""s = "tab\there \"q\" back\\slash \/ \u00e9 line\nnext" """);

        Assert.Equal("tab\there \"q\" back\\slash / \u00e9 line\nnext", data["s"]);
    }

    [Fact]
    public void Parser_should_keep_quoted_keys_whole_when_they_contain_dots()
    {
        var data = Hocon.Read("""a."b.c".d = 1""");

        Assert.Equal("1", data["a:b.c:d"]);
    }

    [Fact]
    public void Parser_should_concatenate_unquoted_tokens_on_one_line()
    {
        var data = Hocon.Read("greeting = foo bar   baz   # trailing comment\nmixed = foo \"bar\" 42");

        Assert.Equal("foo bar   baz", data["greeting"]);
        Assert.Equal("foo bar 42", data["mixed"]);
    }

    [Fact]
    public void Parser_should_keep_numbers_as_written()
    {
        var data = Hocon.Read("i = 42\nn = -1\nf = 0.2\ne = 1e3");

        Assert.Equal("42|-1|0.2|1e3", Hocon.Values(data, "i", "n", "f", "e"));
    }

    [Fact]
    public void Parser_should_read_unquoted_yes_no_on_off_as_booleans()
    {
        var data = Hocon.Read("a = true\nb = yes\nc = on\nd = false\ne = no\nf = off\ng = \"yes\"");

        Assert.Equal("true|true|true|false|false|false", Hocon.Values(data, "a", "b", "c", "d", "e", "f"));
        Assert.Equal("yes", data["g"]);
    }

    [Fact]
    public void Parser_should_map_null_to_a_present_key_with_null_value()
    {
        var data = Hocon.Read("a = null\nb = \"null\"");

        Assert.True(data.ContainsKey("a"));
        Assert.Null(data["a"]);
        Assert.Equal("null", data["b"]);
    }

    [Fact]
    public void Parser_should_keep_duration_and_size_text_raw()
    {
        var data = Hocon.Read("t = 500ms\nu = 1.5 seconds\ns = 64KiB");

        Assert.Equal("500ms|1.5 seconds|64KiB", Hocon.Values(data, "t", "u", "s"));
    }

    [Fact]
    public void Parser_should_flatten_arrays_to_indexed_keys()
    {
        var data = Hocon.Read("ports = [1, 2, 3]");

        Assert.Equal("1|2|3", Hocon.Values(data, "ports:0", "ports:1", "ports:2"));
        Assert.False(data.ContainsKey("ports:3"));
    }

    [Fact]
    public void Parser_should_read_multi_line_arrays_with_comments_and_trailing_comma()
    {
        var data = Hocon.Read("hosts = [\n  \"a:1\"   # first\n  \"b:2\",  // second\n\n  c,\n]");

        Assert.Equal("a:1|b:2|c", Hocon.Values(data, "hosts:0", "hosts:1", "hosts:2"));
    }

    [Fact]
    public void Parser_should_read_arrays_of_objects()
    {
        var data = Hocon.Read("mirrors = [\n  { host = a, port = 1 }\n  { host = b, nested { deep = true } }\n]");

        Assert.Equal("a", data["mirrors:0:host"]);
        Assert.Equal("1", data["mirrors:0:port"]);
        Assert.Equal("b", data["mirrors:1:host"]);
        Assert.Equal("true", data["mirrors:1:nested:deep"]);
    }

    [Fact]
    public void Parser_should_map_empty_array_and_object_to_null_value()
    {
        var data = Hocon.Read("list = []\nobj {}");

        Assert.Null(data["list"]);
        Assert.Null(data["obj"]);
    }

    [Fact]
    public void Parser_should_ignore_hash_and_double_slash_comments()
    {
        var data = Hocon.Read("# header\n// another\na = 1 # after\nb = 2 // after\nc = \"# not a comment\"");

        Assert.Equal(3, data.Count);
        Assert.Equal("1|2|# not a comment", Hocon.Values(data, "a", "b", "c"));
    }

    [Fact]
    public void Parser_should_read_triple_quoted_strings_verbatim()
    {
        var data = Hocon.Read("s = \"\"\"line one\n  \"quoted\" \\n raw\"\"\"");

        Assert.Equal("line one\n  \"quoted\" \\n raw", data["s"]);
    }

    [Fact]
    public void Parser_should_merge_objects_when_key_repeats()
    {
        var data = Hocon.Read("a { x = 1, inner { p = 1 } }\na { y = 2, inner { q = 2 } }\na.z = 3");

        Assert.Equal("1|2|3|1|2", Hocon.Values(data, "a:x", "a:y", "a:z", "a:inner:p", "a:inner:q"));
    }

    [Fact]
    public void Parser_should_let_later_values_override_earlier_ones()
    {
        var data = Hocon.Read("a = 1\nb { c = 1 }\na = 2\nb.c = 2");

        Assert.Equal("2", data["a"]);
        Assert.Equal("2", data["b:c"]);
    }

    [Fact]
    public void Parser_should_replace_an_object_with_a_scalar_and_a_scalar_with_an_object()
    {
        var data = Hocon.Read("a { x = 1 }\na = flat\nb = flat\nb { y = 2 }");

        Assert.Equal("flat", data["a"]);
        Assert.False(data.ContainsKey("a:x"));
        Assert.Equal("2", data["b:y"]);
        Assert.False(data.ContainsKey("b"));
    }

    [Fact]
    public void Parser_should_append_to_an_array_with_plus_equals()
    {
        var data = Hocon.Read("list = [a]\nlist += b\nfresh += c");

        Assert.Equal("a|b", Hocon.Values(data, "list:0", "list:1"));
        Assert.Equal("c", data["fresh:0"]);
    }

    [Fact]
    public void Parser_should_treat_include_followed_by_a_separator_as_an_ordinary_key()
    {
        var data = Hocon.Read("include = yes\nincluded = 1");

        Assert.Equal("true", data["include"]);
        Assert.Equal("1", data["included"]);
    }
}
