using System.Diagnostics;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Engine.Benchmarks;

/// <summary>
/// The result of <c>scott-lab bench data</c>. images_per_second is the input pipeline alone (decode, resize to the
/// load size, batch into a tensor, augment every view), with all its worker threads; train_images_per_second is what
/// the training step consumes at the same settings, measured in the same process; ratio = the first / the second.
/// read_share is the part of the pipeline's time spent reading (decoding and resizing on the worker threads); the
/// rest is batching and augmentation.
/// </summary>
public sealed record DataBenchmarkResult(
    string Dataset, int Images, int ImageSize, int LoadSize, int BatchSize, int Steps, int Workers,
    double ImagesPerSecond, double PerCore, double ReadShare, double? TrainImagesPerSecond, double? Ratio);

public static class DataBenchmark
{
    public static DataBenchmarkResult Run(AssembledRun run, int warmupSteps, int steps, int trainSteps)
    {
        int batch = run.Spec.Trainer.BatchSize;
        var reading = new Stopwatch();
        for (int s = 0; s < warmupSteps; s++) Pipeline(run, s, reading);
        reading.Reset();
        var clock = Stopwatch.StartNew();
        for (int s = 0; s < steps; s++) Pipeline(run, warmupSteps + s, reading);
        double seconds = clock.Elapsed.TotalSeconds, imagesPerSecond = steps * batch / seconds;

        double? train = null;
        if (trainSteps > 0) train = TrainBenchmark.Run([run], warmupSteps: 1, steps: trainSteps).Precisions.Values.Single().ImagesPerSecond;
        var (width, _) = run.Loader.ImageSize;
        return new DataBenchmarkResult(run.Spec.Dataset.Id, run.Loader.Count, run.Spec.Model.ImageSize, width, batch, steps,
            Environment.ProcessorCount, imagesPerSecond, imagesPerSecond / Environment.ProcessorCount, reading.Elapsed.TotalSeconds / seconds, train, train is { } t ? imagesPerSecond / t : null);
    }

    /// <summary>One batch through the pipeline exactly as a training step gets it (no read-ahead: this is the cost).</summary>
    private static void Pipeline(AssembledRun run, long step, Stopwatch reading)
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        reading.Start();
        var raw = run.Loader.ReadBatch(step);
        reading.Stop();
        var (images, _, extents) = run.Loader.ToTensors(raw);
        run.Augmentation.Views(images, run.Objective.Views, new Random(StepSeed.For(run.Spec.Trainer.Seed, step, stream: 2)), extents);
    }
}
