namespace LayerLock.Specs; public class P { [Xunit.Fact] public void A() { } }
