using LayerLock.Specs.Support;
using LayerLock.Actors.Configuration;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

public sealed class HoconConfigurationSpecs : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void AddHoconFile_should_load_keys_flattened_with_colons()
    {
        var path = _directory.Write("c.conf", "coordinator.keepalive { interval = 1s }\nports = [1, 2]");

        var configuration = new ConfigurationBuilder().AddHoconFile(path).Build();

        Assert.Equal("1s", configuration["coordinator:keepalive:interval"]);
        Assert.Equal("1s", configuration.GetSection("coordinator:keepalive")["interval"]);
        Assert.Equal(["1", "2"], configuration.GetSection("ports").Get<string[]>()!);
    }

    [Fact]
    public void AddHoconFile_should_skip_a_missing_optional_file_and_throw_for_a_required_one()
    {
        var missing = Path.Combine(_directory.Path, "missing.conf");

        var configuration = new ConfigurationBuilder().AddHoconFile(missing, optional: true).Build();

        Assert.Empty(configuration.AsEnumerable());
        Assert.Throws<FileNotFoundException>(() => new ConfigurationBuilder().AddHoconFile(missing).Build());
    }

    [Fact]
    public void AddHoconFile_should_surface_the_parse_error_as_the_inner_exception()
    {
        var path = _directory.Write("agent.conf", "listen }");

        var error = Assert.Throws<InvalidDataException>(() => new ConfigurationBuilder().AddHoconFile(path).Build());

        var parse = Assert.IsType<HoconParseException>(error.InnerException);
        Assert.Equal("agent.conf:1:8: expected '=' , ':' or '{' after key 'listen' but found '}'", parse.Message);
    }

    [Fact]
    public void AddHoconString_should_load_text_and_name_it_in_errors()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("a.b = on").Build();
        var error = Assert.Throws<HoconParseException>(() => new ConfigurationBuilder().AddHoconString("a = ", "snippet").Build());

        Assert.True(configuration.GetValue<bool>("a:b"));
        Assert.StartsWith("snippet:1:5: expected a value", error.Message);
    }

    [Fact]
    public void Configuration_should_layer_hocon_under_environment_under_command_line()
    {
        var prefix = $"LLSPEC_{Guid.NewGuid():N}_";
        var path = _directory.Write("layers.conf", "app { a = hocon, b = hocon, c = hocon }");
        try
        {
            Environment.SetEnvironmentVariable($"{prefix}app__b", "env");
            Environment.SetEnvironmentVariable($"{prefix}app__c", "env");

            var configuration = new ConfigurationBuilder()
                .AddHoconFile(path)
                .AddEnvironmentVariables(prefix)
                .AddCommandLine(["--app:c=cli"])
                .Build();

            Assert.Equal("hocon", configuration["app:a"]);
            Assert.Equal("env", configuration["app:b"]);
            Assert.Equal("cli", configuration["app:c"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable($"{prefix}app__b", null);
            Environment.SetEnvironmentVariable($"{prefix}app__c", null);
        }
    }

    [Fact]
    public void GetDuration_and_GetSize_should_read_values_and_fall_back_to_defaults()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("http { max-wait = 10m, max-body = 64KiB }").Build();
        var http = configuration.GetSection("http");

        Assert.Equal(TimeSpan.FromMinutes(10), http.GetDuration("max-wait", TimeSpan.Zero));
        Assert.Equal(65_536, http.GetSize("max-body", 0));
        Assert.Equal(TimeSpan.FromSeconds(30), http.GetDuration("default-ttl", TimeSpan.FromSeconds(30)));
        Assert.Equal(1_024, configuration.GetSize("session:max-frame", 1_024));
    }

    [Fact]
    public void GetDuration_should_throw_naming_the_key_and_the_valid_forms_for_a_bad_value()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("keepalive.interval = soon").Build();

        var error = Assert.Throws<FormatException>(
            () => configuration.GetSection("keepalive").GetDuration("interval", TimeSpan.FromSeconds(1)));

        Assert.StartsWith("configuration 'keepalive:interval' = 'soon' is not a duration: expected ", error.Message);
        Assert.Contains("500ms, 5s, 1m, 2h or 1d", error.Message);
    }

    [Fact]
    public void GetSize_should_throw_naming_the_key_and_the_valid_forms_for_a_bad_value()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("max-body = big").Build();

        var error = Assert.Throws<FormatException>(() => configuration.GetSize("max-body", 1));

        Assert.StartsWith("configuration 'max-body' = 'big' is not a size: expected ", error.Message);
        Assert.Contains("64KiB", error.Message);
    }

    [Fact]
    public void GetDuration_and_GetSize_should_throw_when_a_required_key_is_missing()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("a = 1").Build();

        var duration = Assert.Throws<InvalidOperationException>(() => configuration.GetDuration("lock:wait"));
        var size = Assert.Throws<InvalidOperationException>(() => configuration.GetSize("max-body"));

        Assert.StartsWith("configuration 'lock:wait' is not set: expected ", duration.Message);
        Assert.StartsWith("configuration 'max-body' is not set: expected ", size.Message);
    }
}
