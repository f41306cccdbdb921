using LayerLock.LoadDriver.Workloads;
using Xunit;

namespace LayerLock.Specs.Bench;

public sealed class ProcessUsageSpecs
{
    [Fact]
    public void Of_should_read_a_live_process_and_its_peak_should_not_be_below_its_resident_set()
    {
        var usage = ProcessUsage.Of(Environment.ProcessId);

        var memory = usage?.TryRead();
        Assert.NotNull(memory);
        Assert.True(memory.Value.RssMib > 0);
        Assert.True(memory.Value.HwmMib >= memory.Value.RssMib);
        Assert.NotNull(usage!.TryReadCpu());
    }

    [Fact]
    public void Of_should_be_null_for_a_process_that_does_not_exist()
    {
        Assert.Null(ProcessUsage.Of(int.MaxValue));
    }
}
