using Xunit;

namespace LayerLock.Specs.Configuration;

public sealed class HoconSubstitutionSpecs
{
    [Fact]
    public void Substitution_should_resolve_against_the_whole_document_where_later_values_win()
    {
        var data = Hocon.Read("copy = ${a.b}\na.b = first\nbefore = ${a}\na.b = last");

        Assert.Equal("last", data["copy"]);
        Assert.Equal("last", data["before:b"]);
    }

    [Fact]
    public void Substitution_should_copy_objects_and_arrays()
    {
        var data = Hocon.Read("base { x = 1, list = [p, q] }\ncopy = ${base}");

        Assert.Equal("1", data["copy:x"]);
        Assert.Equal("q", data["copy:list:1"]);
    }

    [Fact]
    public void Substitution_should_keep_the_earlier_value_when_optional_path_is_undefined()
    {
        var data = Hocon.Read("port = 8080\nport = ${?PORT}");

        Assert.Equal("8080", data["port"]);
    }

    [Fact]
    public void Substitution_should_leave_the_key_unset_when_optional_path_is_undefined_and_nothing_came_before()
    {
        var data = Hocon.Read("a = 1\nport = ${?PORT}");

        Assert.False(data.ContainsKey("port"));
    }

    [Fact]
    public void Substitution_should_take_the_environment_variable_when_optional_path_is_not_in_the_document()
    {
        var data = Hocon.Read("port = 8080\nport = ${?PORT}", ("PORT", "9090"));

        Assert.Equal("9090", data["port"]);
    }

    [Fact]
    public void Substitution_should_prefer_the_document_over_the_environment()
    {
        var data = Hocon.Read("home = here\npath = ${home}", ("home", "from-env"));

        Assert.Equal("here", data["path"]);
    }

    [Fact]
    public void Substitution_should_fall_back_to_the_environment_for_a_required_path()
    {
        var data = Hocon.Read("user = ${USER_NAME}", ("USER_NAME", "ada"));

        Assert.Equal("ada", data["user"]);
    }

    [Fact]
    public void Substitution_should_concatenate_with_strings()
    {
        var data = Hocon.Read("host = \"10.0.0.1\"\nport = 8080\nurl = \"http://\"${host}\":\"${port}\"/v1\"\nspaced = ${host} and ${port}");

        Assert.Equal("http://10.0.0.1:8080/v1", data["url"]);
        Assert.Equal("10.0.0.1 and 8080", data["spaced"]);
    }

    [Fact]
    public void Substitution_should_become_empty_inside_a_concatenation_when_optional_is_undefined()
    {
        var data = Hocon.Read("name = \"layer\"${?SUFFIX}");

        Assert.Equal("layer", data["name"]);
    }

    [Fact]
    public void Substitution_should_refer_to_the_earlier_value_when_a_field_names_itself()
    {
        var data = Hocon.Read("path = \"/bin\"\npath = ${path}\":/usr/bin\"\nlist = [1]\nlist = ${list} [2]");

        Assert.Equal("/bin:/usr/bin", data["path"]);
        Assert.Equal("1|2", Hocon.Values(data, "list:0", "list:1"));
    }

    [Fact]
    public void Substitution_should_merge_an_object_with_a_following_object_literal()
    {
        var data = Hocon.Read("defaults { ttl = 30s, wait = 1m }\nfast = ${defaults} { wait = 1s }");

        Assert.Equal("30s", data["fast:ttl"]);
        Assert.Equal("1s", data["fast:wait"]);
    }

    [Fact]
    public void Substitution_should_merge_a_later_object_into_a_substituted_object()
    {
        var data = Hocon.Read("defaults { ttl = 30s }\nfast = ${defaults}\nfast { wait = 1s }");

        Assert.Equal("30s", data["fast:ttl"]);
        Assert.Equal("1s", data["fast:wait"]);
    }

    [Fact]
    public void Substitution_should_chain_through_other_substitutions()
    {
        var data = Hocon.Read("a = ${b}\nb = ${c}\nc = end");

        Assert.Equal("end", data["a"]);
    }
}
