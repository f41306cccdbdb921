using LayerLock.LoadDriver.Systems;
using Xunit;

namespace LayerLock.Specs.Bench;

public sealed class LockProfilesSpecs
{
    private static readonly LockSystemOptions Given = new("127.0.0.1:1", TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(1), TimeSpan.FromMinutes(5));

    [Fact]
    public void Aggressive_should_tie_an_HTTP_lock_to_its_connection_and_default_should_not()
    {
        Assert.True(LockProfiles.Apply(LockProfiles.Aggressive, LockSystems.LayerLockHttp, Given).ReleaseOnDisconnect);
        Assert.False(LockProfiles.Apply(LockProfiles.Default, LockSystems.LayerLockHttp, Given).ReleaseOnDisconnect);
    }

    [Fact]
    public void Profiles_should_set_each_systems_client_settings()
    {
        Assert.Equal(TimeSpan.FromSeconds(60), LockProfiles.Apply(LockProfiles.Default, LockSystems.Etcd, Given).Ttl);
        Assert.Equal(TimeSpan.FromSeconds(1), LockProfiles.Apply(LockProfiles.Aggressive, LockSystems.Etcd, Given).Ttl);
        var redis = LockProfiles.Apply(LockProfiles.Default, LockSystems.Redis, Given);
        Assert.Equal((TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(100)), (redis.Ttl, redis.RetryInterval));
        var fast = LockProfiles.Apply(LockProfiles.Aggressive, LockSystems.Redis, Given);
        Assert.Equal((TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(1)), (fast.Ttl, fast.RetryInterval));
    }

    [Fact]
    public void Profiles_should_keep_the_endpoint_and_wait_and_leave_a_session_as_it_is()
    {
        var http = LockProfiles.Apply(LockProfiles.LongHold, LockSystems.LayerLockHttp, Given);
        Assert.Equal((Given.Endpoint, Given.Wait), (http.Endpoint, http.Wait));
        Assert.Equal(Given, LockProfiles.Apply(LockProfiles.Aggressive, LockSystems.LayerLockRemote, Given));
    }

    [Fact]
    public void Apply_should_refuse_an_unknown_profile_naming_the_valid_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => LockProfiles.Apply("fast", LockSystems.Redis, Given));
        Assert.Contains("default, aggressive, long-hold", error.Message);
    }
}
