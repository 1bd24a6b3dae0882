using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/StreamingChat.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args, new StreamingChat.Benchmarks.BenchmarkConfig());
