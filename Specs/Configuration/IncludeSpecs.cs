using LayerLock.Hosting.Configuration;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

/// <summary><c>include "file"</c>, resolved by our callback to Akka's parser relative to the including file.</summary>
public sealed class IncludeSpecs : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void Include_should_merge_a_file_relative_to_the_including_file_where_later_settings_win()
    {
        _directory.Write("conf/base.conf", "log { level = Debug, dir = logs }\nport = 1");
        var main = _directory.Write("conf/main.conf", "include \"base.conf\"\nlog.level = Warning\nport = 2");

        var configuration = ReadFile(main);

        Assert.Equal("Warning", configuration["log:level"]);
        Assert.Equal("logs", configuration["log:dir"]);
        Assert.Equal("2", configuration["port"]);
    }

    [Fact]
    public void Include_should_nest_the_file_under_the_object_it_appears_in_and_resolve_its_own_substitutions()
    {
        _directory.Write("limits.conf", "max = 10\ncopy = ${max}");
        var main = _directory.Write("main.conf", "http { include \"limits.conf\" }");

        var configuration = ReadFile(main);

        Assert.Equal("10", configuration["http:max"]);
        Assert.Equal("10", configuration["http:copy"]);
    }

    [Fact]
    public void Include_should_resolve_relative_to_base_directory_for_strings()
    {
        _directory.Write("shared.conf", "shared = yes");

        var configuration = new ConfigurationBuilder().AddHoconString("include \"shared.conf\"", baseDirectory: _directory.Path).Build();

        Assert.Equal("yes", configuration["shared"]);
    }

    [Fact]
    public void Include_should_fail_naming_file_and_line_when_the_file_is_missing()
    {
        var main = _directory.Write("main.conf", "a = 1\n  include \"nope.conf\"");

        var error = Assert.IsType<ConfigurationFileException>(
            Assert.Throws<InvalidDataException>(() => ReadFile(main)).InnerException);

        Assert.Equal(2, error.Line);
        Assert.StartsWith($"{main}:2: include \"nope.conf\": there is no file ", error.Message);
    }

    [Fact]
    public void Include_should_fail_when_files_include_each_other()
    {
        _directory.Write("a.conf", "include \"b.conf\"");
        _directory.Write("b.conf", "x = 1\ninclude \"a.conf\"");

        var error = Assert.Throws<ConfigurationFileException>(
            () => new ConfigurationBuilder().AddHoconString("include \"a.conf\"", "main", _directory.Path).Build());

        Assert.Equal("b.conf", error.FileName);
        Assert.Equal(2, error.Line);
        Assert.EndsWith("makes a cycle: a.conf -> b.conf -> a.conf", error.Message);
    }

    [Fact]
    public void Include_should_report_an_error_in_the_included_file_under_that_file_name()
    {
        _directory.Write("bad.conf", "a = 1\nb = [1 = 2]");
        var main = _directory.Write("main.conf", "include \"bad.conf\"");

        var error = Assert.IsType<ConfigurationFileException>(
            Assert.Throws<InvalidDataException>(() => ReadFile(main)).InnerException);

        Assert.Equal(Path.Combine(_directory.Path, "bad.conf"), error.FileName);
        Assert.Equal(2, error.Line);
    }

    [Theory]
    [InlineData("include file(\"a.conf\")", "include file(…)")]
    [InlineData("include required(file(\"a.conf\"))", "include required(…)")]
    public void Include_forms_Akka_cannot_read_should_be_refused_with_their_line(string line, string form)
    {
        _directory.Write("a.conf", "a = 1");

        var error = Assert.Throws<ConfigurationFileException>(
            () => new ConfigurationBuilder().AddHoconString($"x = 1\n{line}", "main", _directory.Path).Build());

        Assert.Equal($"main:2:1: '{form}' is not supported by Akka's HOCON parser; write include \"file.conf\"", error.Message);
    }

    private static IConfigurationRoot ReadFile(string path) => new ConfigurationBuilder().AddHoconFile(path).Build();
}
