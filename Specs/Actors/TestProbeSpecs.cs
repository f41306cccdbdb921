using LayerLock.Actors.TestKit;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Actors;

public sealed class TestProbeSpecs : ActorSpec
{
    [Fact]
    public async Task ExpectMsgAsync_should_say_what_arrived_instead()
    {
        var probe = CreateProbe();
        probe.Ref.Tell(new Boom("queued"));

        var failure = await Assert.ThrowsAsync<ExpectationFailedException>(() => probe.ExpectMsgAsync<string>());

        Assert.Contains("expected a String but received Boom", failure.Message);
        Assert.Contains("queued", failure.Message);
    }

    [Fact]
    public async Task ExpectMsgAsync_should_say_when_the_predicate_does_not_match()
    {
        var probe = CreateProbe();
        probe.Ref.Tell("position 2");

        var failure = await Assert.ThrowsAsync<ExpectationFailedException>(
            () => probe.ExpectMsgAsync<string>(m => m == "position 1"));

        Assert.Contains("matching the predicate but received String position 2", failure.Message);
    }

    [Fact]
    public async Task ExpectMsgAsync_should_say_when_nothing_arrived()
    {
        var probe = CreateProbe();

        var failure = await Assert.ThrowsAsync<ExpectationFailedException>(
            () => probe.ExpectMsgAsync<string>(timeout: TimeSpan.FromMilliseconds(100)));

        Assert.Contains("expected a String within 100 ms but no message arrived", failure.Message);
    }

    [Fact]
    public async Task ExpectNoMsgAsync_should_name_the_message_that_arrived()
    {
        var probe = CreateProbe();
        probe.Ref.Tell("unexpected grant");

        var failure = await Assert.ThrowsAsync<ExpectationFailedException>(
            () => probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200)));

        Assert.Contains("unexpected grant", failure.Message);
    }

    [Fact]
    public async Task FishForMessageAsync_should_skip_until_a_match_and_list_skipped_on_failure()
    {
        var probe = CreateProbe();
        probe.Ref.Tell("queued");
        probe.Ref.Tell(7);
        probe.Ref.Tell("granted");

        Assert.Equal("granted", await probe.FishForMessageAsync<string>(m => m.StartsWith("gran", StringComparison.Ordinal)));

        probe.Ref.Tell("noise");
        var failure = await Assert.ThrowsAsync<ExpectationFailedException>(
            () => probe.FishForMessageAsync<string>(m => m == "never", TimeSpan.FromMilliseconds(150)));
        Assert.Contains("String noise", failure.Message);
    }

    [Fact]
    public async Task WithinAsync_should_fail_a_block_that_runs_too_long()
    {
        var probe = CreateProbe();

        var failure = await Assert.ThrowsAsync<ExpectationFailedException>(() =>
            probe.WithinAsync(TimeSpan.FromMilliseconds(100), () => probe.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300))));

        Assert.Contains("expected at most 100 ms", failure.Message);
    }

    [Fact]
    public async Task WithinAsync_should_fail_a_block_that_runs_too_short()
    {
        var probe = CreateProbe();
        probe.Ref.Tell("fast");

        var failure = await Assert.ThrowsAsync<ExpectationFailedException>(() =>
            probe.WithinAsync(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(3), () => probe.ExpectMsgAsync("fast")));

        Assert.Contains("expected at least 1000 ms", failure.Message);
    }

    [Fact]
    public async Task WithinAsync_should_cap_the_timeout_of_expectations_inside_it()
    {
        var probe = new TestProbe(Sys, defaultTimeout: TimeSpan.FromMinutes(2));
        var started = DateTimeOffset.UtcNow;

        var failure = await Assert.ThrowsAsync<ExpectationFailedException>(() =>
            probe.WithinAsync(TimeSpan.FromMilliseconds(200), () => probe.ExpectMsgAsync<string>()));

        // Without the cap the expectation would wait its 2 min default; it gives up with the block instead.
        Assert.Contains("no message arrived", failure.Message);
        Assert.True(DateTimeOffset.UtcNow - started < probe.DefaultTimeout);
    }

    [Fact]
    public async Task Reply_should_answer_the_last_sender()
    {
        var probe = CreateProbe();
        var asker = CreateProbe();
        asker.Send(probe.Ref, "question");
        await probe.ExpectMsgAsync("question");

        probe.Reply("answer");

        await asker.ExpectMsgAsync("answer");
        Assert.Same(probe.Ref, asker.LastSender);
    }
}
