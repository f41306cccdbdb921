using LayerLock.Coordinator.Locks;
using LayerLock.Specs.Support;
using Xunit;

namespace LayerLock.Specs.Locks;

public sealed class FencingTokenSourceSpecs
{
    [Fact]
    public void Every_open_should_start_above_every_token_of_the_previous_run()
    {
        using var state = new TempDirectory();
        var first = FencingTokenSource.Open(state.Path);
        var lastOfFirstRun = Enumerable.Range(0, 1000).Select(_ => first.Next()).Last();

        var second = FencingTokenSource.Open(state.Path);

        Assert.Equal(first.Epoch + 1, second.Epoch);
        Assert.True(second.Next() > lastOfFirstRun);
        Assert.Equal("2\n", File.ReadAllText(Path.Combine(state.Path, "fencing-epoch")));
    }

    [Fact]
    public void A_corrupt_epoch_file_should_stop_the_start_and_be_left_alone()
    {
        using var state = new TempDirectory();
        var file = state.Write("fencing-epoch", "banana");

        var error = Assert.Throws<InvalidDataException>(() => FencingTokenSource.Open(state.Path));

        Assert.Contains("holds 'banana', not an epoch number", error.Message);
        Assert.Equal("banana", File.ReadAllText(file));
    }

    [Fact]
    public void EnsureAbove_a_token_from_an_unknown_later_epoch_should_persist_past_it()
    {
        using var state = new TempDirectory();
        var tokens = FencingTokenSource.Open(state.Path);
        var claimed = (7L << FencingTokenSource.CounterBits) + 12;

        tokens.EnsureAbove(claimed);

        Assert.True(tokens.Next() > claimed);
        Assert.True(FencingTokenSource.Open(state.Path).Next() > claimed + 1);
    }

    [Fact]
    public async Task Tokens_should_be_unique_and_increasing_under_concurrency()
    {
        var tokens = FencingTokenSource.InMemory();
        var issued = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() => Enumerable.Range(0, 10_000).Select(_ => tokens.Next()).ToArray())));

        Assert.All(issued, run => Assert.Equal(run.Order(), run));
        Assert.Equal(80_000, issued.SelectMany(run => run).Distinct().Count());
    }
}
