using LayerLock.Hosting.Configuration;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

/// <summary><c>${path}</c> as Akka's HOCON resolves it, and the forms it cannot resolve refused in one line.</summary>
public sealed class SubstitutionSpecs
{
    [Fact]
    public void Substitution_should_resolve_against_the_whole_document_where_later_values_win()
    {
        var configuration = Read("copy = ${a.b}\na.b = first\na.b = last");

        Assert.Equal("last", configuration["copy"]);
    }

    [Fact]
    public void Substitution_should_copy_objects_and_arrays()
    {
        var configuration = Read("base { x = 1, list = [p, q] }\ncopy = ${base}\nlist = ${base.list}");

        Assert.Equal("1", configuration["copy:x"]);
        Assert.Equal("q", configuration["copy:list:1"]);
        Assert.Equal("p", configuration["list:0"]);
    }

    [Fact]
    public void Substitution_should_concatenate_with_strings()
    {
        var configuration = Read("host = \"10.0.0.1\"\nport = 8080\nurl = \"http://\"${host}\":\"${port}\"/v1\"\nspaced = ${host} and ${port}");

        Assert.Equal("http://10.0.0.1:8080/v1", configuration["url"]);
        Assert.Equal("10.0.0.1 and 8080", configuration["spaced"]);
    }

    [Fact]
    public void Substitution_should_chain_through_other_substitutions()
    {
        var configuration = Read("a = ${b}\nb = ${c}\nc = end");

        Assert.Equal("end", configuration["a"]);
    }

    [Fact]
    public void Substitution_should_refuse_a_path_that_names_no_setting_with_its_line()
    {
        var error = Error("a = 1\nb = \"x\"${missing.path}");

        Assert.Equal("test.conf:2: substitution ${missing.path} names no setting of this file", error.Message);
    }

    [Fact]
    public void Substitution_should_refuse_a_cycle_in_one_line_instead_of_overflowing_the_stack()
    {
        var error = Error("a = ${b}\nb = ${c}\nc = ${a}");

        Assert.Matches(@"^test\.conf:\d: substitution \$\{[abc]\} in setting '[abc]' leads back to itself", error.Message);
    }

    [Fact]
    public void Substitution_should_refuse_a_setting_that_names_its_own_earlier_value()
    {
        var error = Error("path = \"/bin\"\npath = ${path}\":/usr/bin\"");

        Assert.Equal(
            "test.conf:2: substitution ${path} in setting 'path' leads back to itself; Akka's HOCON cannot refer to a setting's earlier value",
            error.Message);
    }

    [Theory]
    [InlineData("port = 8080\nport = ${?PORT}", 2, 8)]
    [InlineData("name = \"layer\"${?SUFFIX}", 1, 15)]
    public void Optional_substitution_should_be_refused_with_its_position_because_Akka_cannot_read_the_environment(string text, int line, int column)
    {
        var error = Error(text);

        Assert.Equal(line, error.Line);
        Assert.Equal(column, error.Column);
        Assert.Contains("optional substitutions (${?VAR}) are not supported by Akka's HOCON parser", error.Message);
    }

    private static IConfigurationRoot Read(string text) => new ConfigurationBuilder().AddHoconString(text, "test.conf").Build();

    private static ConfigurationFileException Error(string text) => Assert.Throws<ConfigurationFileException>(() => Read(text));
}
