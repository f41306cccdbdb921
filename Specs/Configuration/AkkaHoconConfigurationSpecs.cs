using LayerLock.Hosting.Configuration;
using LayerLock.Specs.Support;
using Microsoft.Extensions.Configuration;
using Xunit;

namespace LayerLock.Specs.Configuration;

public sealed class AkkaHoconConfigurationSpecs : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void AddHoconFile_should_load_keys_flattened_with_colons()
    {
        var path = _directory.Write("c.conf", "coordinator.keepalive { interval = 1s }\nports = [1, 2]\nnone = []  # no entries\nakka.remote.dot-netty.tcp { port = 4053 }");

        var configuration = new ConfigurationBuilder().AddHoconFile(path).Build();

        Assert.Equal("1s", configuration["coordinator:keepalive:interval"]);
        Assert.Equal("1s", configuration.GetSection("coordinator:keepalive")["interval"]);
        Assert.Equal(["1", "2"], configuration.GetSection("ports").Get<string[]>()!);
        Assert.Contains(configuration.AsEnumerable(), setting => setting is { Key: "none", Value: null });
        Assert.Equal("4053", configuration["akka:remote:dot-netty:tcp:port"]);
    }

    [Fact]
    public void AddHoconFile_should_keep_values_as_Akka_reads_them()
    {
        var configuration = new ConfigurationBuilder().AddHoconString(""""
            a = "quoted text"
            b = unquoted words here
            c = 1s   # a comment after the value
            d = null
            e = ""
            f = on
            g = """triple "quoted" text"""
            """").Build();

        Assert.Equal("quoted text", configuration["a"]);
        Assert.Equal("unquoted words here", configuration["b"]);
        Assert.Equal("1s", configuration["c"]);
        Assert.Null(configuration["d"]);
        Assert.Equal("", configuration["e"]);
        Assert.Equal("on", configuration["f"]);
        Assert.Equal("triple \"quoted\" text", configuration["g"]);
    }

    [Fact]
    public void AddHoconFile_should_merge_objects_and_let_later_values_win()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("a { b = 1 }\na { c = 2 }\na.b = 3\nx = 1\nx = 2").Build();

        Assert.Equal("3", configuration["a:b"]);
        Assert.Equal("2", configuration["a:c"]);
        Assert.Equal("2", configuration["x"]);
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
    public void AddHoconFile_should_surface_the_one_line_error_as_the_inner_exception()
    {
        var path = _directory.Write("agent.conf", "a = 1\nlisten }");

        var error = Assert.Throws<InvalidDataException>(() => new ConfigurationBuilder().AddHoconFile(path).Build());

        var file = Assert.IsType<ConfigurationFileException>(error.InnerException);
        Assert.Equal($"{path}:2:8: '}}' closes nothing: no '{{' is open here", file.Message);
    }

    [Fact]
    public void AddHoconString_should_name_the_text_in_errors()
    {
        var error = Assert.Throws<ConfigurationFileException>(() => new ConfigurationBuilder().AddHoconString("a {\n  b = 1\n", "snippet").Build());

        Assert.Equal("snippet:1:3: the '{' opened here is never closed with '}'", error.Message);
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
    public void GetDuration_should_throw_one_line_naming_the_key_and_the_valid_forms_for_a_bad_value()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("keepalive.interval = soon").Build();

        var error = Assert.Throws<FormatException>(
            () => configuration.GetSection("keepalive").GetDuration("interval", TimeSpan.FromSeconds(1)));

        Assert.StartsWith("configuration 'keepalive:interval' = 'soon' is not a duration: expected ", error.Message);
        Assert.Contains("500ms, 5s, 1m, 2h or 1d", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void GetSize_should_throw_one_line_naming_the_key_and_the_valid_forms_for_a_bad_value()
    {
        var configuration = new ConfigurationBuilder().AddHoconString("max-body = big").Build();

        var error = Assert.Throws<FormatException>(() => configuration.GetSize("max-body", 1));

        Assert.StartsWith("configuration 'max-body' = 'big' is not a size: expected ", error.Message);
        Assert.Contains("64KiB", error.Message);
        Assert.DoesNotContain('\n', error.Message);
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
