using BenchmarkDotNet.Running;

// Micro-benchmarks of the hot path; see bench/README.md.
BenchmarkSwitcher.FromAssembly(typeof(LayerLock.Bench.LockBenchmarks).Assembly).Run(args);
