using System.Diagnostics;
using Scott.Lab.Engine.Training;
using TorchSharp;

namespace Scott.Lab.Engine.Benchmarks;

/// <summary>The result of <c>scott-lab bench train</c>; MFU = train_gflops / matmul_gflops, both measured in one process.</summary>
public sealed record TrainBenchmarkResult(
    double MatmulGflops, double TrainGflops, double Mfu, double ImagesPerSecond, long FlopsPerImage,
    double PeakRssMb, int BatchSize, int Steps, int Threads, string Device);

/// <summary>
/// Measures the training step against the machine's own matmul peak. FLOPs count 2 per multiply-add in every
/// matmul and conv; backward counts as 2× forward for trained modules, and frozen ones (the EMA target) count
/// forward only. Augmentation runs inside the timed steps, as in real training.
/// </summary>
public static class TrainBenchmark
{
    public static TrainBenchmarkResult Run(AssembledRun run, int warmupSteps, int steps)
    {
        double matmul = MatmulGflops(run.Device);
        using var trainer = new Trainer(run);
        for (int s = 0; s < warmupSteps; s++) trainer.Step(s, withMetrics: false);
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++) trainer.Step(warmupSteps + s, withMetrics: false);
        if (run.Device.type == DeviceType.CUDA) torch.cuda.synchronize();
        double seconds = clock.Elapsed.TotalSeconds;
        int batch = run.Spec.Trainer.BatchSize;
        double imagesPerSecond = steps * batch / seconds;
        long flops = run.Objective.TrainFlopsPerImage;
        double train = flops * imagesPerSecond / 1e9;
        using var self = Process.GetCurrentProcess();
        return new TrainBenchmarkResult(matmul, train, train / matmul, imagesPerSecond, flops,
            self.PeakWorkingSet64 / (1024.0 * 1024.0), batch, steps, torch.get_num_threads(), run.Device.type.ToString().ToLowerInvariant());
    }

    /// <summary>Best of several timed fp32 2048² matmuls: the reference peak on this device.</summary>
    public static double MatmulGflops(torch.Device device, int size = 2048, int repeats = 8)
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(size, size, device: device);
        var b = torch.randn(size, size, device: device);
        a.matmul(b); // warm-up
        double best = 0;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using var c = a.matmul(b);
            if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
            best = Math.Max(best, 2.0 * size * size * size / clock.Elapsed.TotalSeconds / 1e9);
        }
        return best;
    }
}
