using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Training;
using Xunit.Abstractions;

namespace Scott.Lab.Objectives.Tests;

/// <summary>
/// trainer.precision=bf16 through the host's own path (config → RunBuilder → Trainer) against fp32 on the tiny preset
/// (SCOTT + MIM-JEPA): same seed, same data, same masks; only the rounding of matmuls and convolutions differs.
/// </summary>
[Collection(AloneCollection.Name)]
public sealed class MixedPrecisionRunTests(ITestOutputHelper output)
{
    private const int Steps = 200, Window = 20;

    private static List<double> Losses(string precision)
    {
        var tree = ConfigLoader.LoadTree(ObjectiveRunTests.TinyPreset,
            [$"trainer.precision={precision}", $"trainer.steps={Steps}", "trainer.batch_size=16"]);
        using var run = RunBuilder.Build(RunSpecBinder.BindWithoutPlugins(tree), ObjectiveRunTests.Catalog.Value);
        using var trainer = new Trainer(run);
        return Enumerable.Range(0, Steps).Select(step => trainer.Step(step, withMetrics: false).Loss).ToList();
    }

    [Fact]
    public void A_bf16_run_tracks_the_fp32_runs_loss_over_200_steps()
    {
        var fp32 = Losses("fp32");
        var bf16 = Losses("bf16");
        var windows = Enumerable.Range(0, Steps / Window)
            .Select(w => (fp32: fp32.Skip(w * Window).Take(Window).Average(), bf16: bf16.Skip(w * Window).Take(Window).Average()))
            .ToList();
        foreach (var (f, b) in windows) output.WriteLine($"fp32 {f:F5}  bf16 {b:F5}  relative {Math.Abs(b - f) / f:P2}");
        output.WriteLine($"first step: fp32 {fp32[0]:F6} bf16 {bf16[0]:F6}");

        // Step 0: same weights, same batch, only rounding differs. Measured 1e-5 relative; bf16's own resolution
        // (2^-9 relative per value) averaged over thousands of terms bounds it far below 1e-3.
        Assert.NotEqual(fp32[0], bf16[0]); // the bf16 run did round: it is not the fp32 run again
        Assert.True(Math.Abs(bf16[0] - fp32[0]) / fp32[0] < 1e-3, $"first step {bf16[0]} vs {fp32[0]}");
        // Later the two trajectories drift apart (different roundings compound, as with any change of seed-free
        // arithmetic); measured up to 1.1% per 20-step window mean here. 5% leaves room for that drift on other CPUs
        // and is still well below the 13% the loss falls in the first window, so a bf16 run that trained
        // visibly worse, or not at all, fails.
        foreach (var (f, b) in windows)
            Assert.True(Math.Abs(b - f) / f < 0.05, $"window mean bf16 {b:F5} vs fp32 {f:F5}");
        // And it learns as fp32 does: the loss falls by a like amount.
        double fallFp32 = windows[0].fp32 - windows[^1].fp32, fallBf16 = windows[0].bf16 - windows[^1].bf16;
        Assert.True(fallFp32 > 0 && fallBf16 > 0.8 * fallFp32, $"loss fell by {fallBf16:F5} in bf16, {fallFp32:F5} in fp32");
    }
}

/// <summary>
/// Tests that compare two runs' exact numbers run alone: model initialisation draws from libtorch's global generator
/// (seeded per run), so a test of another class initialising a model in parallel would change one run's weights.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "Alone: global torch generator";
}
