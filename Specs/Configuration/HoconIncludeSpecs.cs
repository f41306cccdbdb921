using LayerLock.Specs.Support;
using LayerLock.Actors.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

public sealed class HoconIncludeSpecs : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Include_should_merge_a_file_relative_to_the_including_file()
    {
        _directory.Write("conf/base.conf", "log { level = Debug, dir = logs }\nport = 1");
        var main = _directory.Write("conf/main.conf", "include \"base.conf\"\nlog.level = Warning\nport = 2");

        var data = HoconReader.ReadFile(main);

        Assert.Equal("Warning", data["log:level"]);
        Assert.Equal("logs", data["log:dir"]);
        Assert.Equal("2", data["port"]);
    }

    [Fact]
    public void Include_should_accept_the_file_and_required_forms()
    {
        _directory.Write("a.conf", "a = 1");
        _directory.Write("sub/b.conf", "b = 2");
        var main = _directory.Write("main.conf", "include file(\"a.conf\")\ninclude required(file(\"sub/b.conf\"))");

        var data = HoconReader.ReadFile(main);

        Assert.Equal("1", data["a"]);
        Assert.Equal("2", data["b"]);
    }

    [Fact]
    public void Include_should_nest_the_file_under_the_object_it_appears_in()
    {
        _directory.Write("limits.conf", "max = 10\ncopy = ${max}");
        var main = _directory.Write("main.conf", "http { include \"limits.conf\" }");

        var data = HoconReader.ReadFile(main);

        Assert.Equal("10", data["http:max"]);
        Assert.Equal("10", data["http:copy"]);
    }

    [Fact]
    public void Include_should_resolve_relative_to_base_directory_for_strings()
    {
        _directory.Write("shared.conf", "shared = yes");

        var data = HoconReader.ReadString("include \"shared.conf\"", baseDirectory: _directory.Path);

        Assert.Equal("true", data["shared"]);
    }

    [Fact]
    public void Include_should_fail_naming_file_line_and_column_when_the_file_is_missing()
    {
        var main = _directory.Write("main.conf", "a = 1\n  include \"nope.conf\"");

        var error = Assert.Throws<HoconParseException>(() => HoconReader.ReadFile(main));

        Assert.Equal(2, error.Line);
        Assert.Equal(11, error.Column);
        Assert.StartsWith($"{main}:2:11: expected an included file at ", error.Message);
        Assert.Contains("nope.conf", error.Message);
    }

    [Fact]
    public void Include_should_fail_when_files_include_each_other()
    {
        _directory.Write("a.conf", "include \"b.conf\"");
        _directory.Write("b.conf", "x = 1\ninclude \"a.conf\"");

        var error = Assert.Throws<HoconParseException>(() => HoconReader.ReadString("include \"a.conf\"", "main", _directory.Path));

        Assert.Equal("b.conf", error.FileName);
        Assert.Equal(2, error.Line);
        Assert.EndsWith("found the cycle a.conf -> b.conf -> a.conf", error.Message);
    }
}
