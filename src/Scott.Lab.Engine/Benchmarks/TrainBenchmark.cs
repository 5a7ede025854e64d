using System.Diagnostics;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Engine.Training;
using TorchSharp;

namespace Scott.Lab.Engine.Benchmarks;

/// <summary>One precision's part of <c>scott-lab bench train</c>; MFU = train_gflops / matmul_gflops, the matmul peak measured in the same dtype.</summary>
public sealed record TrainPrecisionResult(
    double MatmulGflops, double TrainGflops, double Mfu, double ImagesPerSecond, double Seconds, int Steps);

/// <summary>
/// The result of <c>scott-lab bench train</c>: one entry per precision (<c>trainer.precision</c>), and, when fp32 and
/// bf16 were both measured, bf16_speedup = bf16 images/s ÷ fp32 images/s.
/// </summary>
public sealed record TrainBenchmarkResult(
    IReadOnlyDictionary<string, TrainPrecisionResult> Precisions, double? Bf16Speedup, long FlopsPerImage,
    double PeakRssMb, int BatchSize, int Steps, int Threads, string Device);

/// <summary>
/// Measures the training step against the machine's own matmul peak. FLOPs count 2 per multiply-add in every
/// matmul and conv; backward counts as 2× forward for trained modules, and frozen ones (the EMA target) count
/// forward only. Augmentation runs inside the timed steps, as in real training.
/// </summary>
public static class TrainBenchmark
{
    /// <summary>
    /// Times <paramref name="steps"/> steps of each run (one run per precision, otherwise equal). The runs take turns
    /// in rounds of a few steps, so that a load change on a shared machine hits every precision alike and the ratio
    /// between them stays fair.
    /// </summary>
    public static TrainBenchmarkResult Run(IReadOnlyList<AssembledRun> runs, int warmupSteps, int steps, int rounds = 4)
    {
        if (runs.Count == 0) throw new ArgumentException("Nothing to measure.", nameof(runs));
        var device = runs[0].Device;
        var trainers = runs.Select(run => new Trainer(run)).ToList();
        try
        {
            var clocks = runs.Select(_ => new Stopwatch()).ToArray();
            for (int i = 0; i < runs.Count; i++)
                for (int s = 0; s < warmupSteps; s++) trainers[i].Step(s, withMetrics: false);
            rounds = Math.Clamp(rounds, 1, steps);
            long next = warmupSteps;
            for (int round = 0; round < rounds; round++)
            {
                int inRound = steps / rounds + (round < steps % rounds ? 1 : 0);
                for (int i = 0; i < runs.Count; i++)
                {
                    clocks[i].Start();
                    for (int s = 0; s < inRound; s++) trainers[i].Step(next + s, withMetrics: false);
                    if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
                    clocks[i].Stop();
                }
                next += inRound;
            }

            int batch = runs[0].Spec.Trainer.BatchSize;
            long flops = runs[0].Objective.TrainFlopsPerImage;
            var results = new Dictionary<string, TrainPrecisionResult>();
            for (int i = 0; i < runs.Count; i++)
            {
                string precision = runs[i].Spec.Trainer.Precision;
                double seconds = clocks[i].Elapsed.TotalSeconds, imagesPerSecond = steps * batch / seconds;
                double matmul = MatmulGflops(device, Precision.Parse(precision)), train = flops * imagesPerSecond / 1e9;
                results[precision] = new TrainPrecisionResult(Math.Round(matmul, 1), Math.Round(train, 1), Math.Round(train / matmul, 3),
                    Math.Round(imagesPerSecond, 1), Math.Round(seconds, 2), steps);
            }
            double? speedup = results.TryGetValue(Precision.Fp32, out var fp32) && results.TryGetValue(Precision.Bf16, out var bf16)
                ? Math.Round(bf16.ImagesPerSecond / fp32.ImagesPerSecond, 2) : null;
            using var self = Process.GetCurrentProcess();
            return new TrainBenchmarkResult(results, speedup, flops, Math.Round(self.PeakWorkingSet64 / (1024.0 * 1024.0)), batch, steps,
                torch.get_num_threads(), device.type.ToString().ToLowerInvariant());
        }
        finally
        {
            foreach (var trainer in trainers) trainer.Dispose();
        }
    }

    /// <summary>Best of several timed 2048² matmuls in <paramref name="dtype"/>: the reference peak on this device.</summary>
    public static double MatmulGflops(torch.Device device, torch.ScalarType dtype = torch.ScalarType.Float32, int size = 2048, int repeats = 8)
    {
        using var scope = torch.NewDisposeScope();
        var a = torch.randn(size, size, device: device).to(dtype);
        var b = torch.randn(size, size, device: device).to(dtype);
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
