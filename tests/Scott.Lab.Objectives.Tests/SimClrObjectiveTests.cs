using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.SimClr;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Tests;

public class SimClrObjectiveTests
{
    [Fact]
    public void NtXent_of_two_pairs_matches_the_hand_computed_value()
    {
        // Pair 0: z1 = (1, 0), z2 = (1, 0).  Pair 1: z1 = (0, 1), z2 = (0.6, 0.8). τ = 0.5.
        // Cosines: z1₀·z1₁ = 0, z1₀·z2₀ = 1, z1₀·z2₁ = 0.6, z1₁·z2₀ = 0, z1₁·z2₁ = 0.8, z2₀·z2₁ = 0.6.
        // Each anchor: −log(exp(s⁺/τ) / Σ_{k≠self} exp(s_k/τ)) over the 3 other vectors.
        double t = 0.5;
        double Term(double positive, double otherA, double otherB) =>
            -Math.Log(Math.Exp(positive / t) / (Math.Exp(positive / t) + Math.Exp(otherA / t) + Math.Exp(otherB / t)));
        double expected = (Term(1, 0, 0.6)        // z1₀: positive z2₀; negatives z1₁ (0), z2₁ (0.6)
                           + Term(0.8, 0, 0)      // z1₁: positive z2₁; negatives z1₀ (0), z2₀ (0)
                           + Term(1, 0, 0.6)      // z2₀: positive z1₀; negatives z1₁ (0), z2₁ (0.6)
                           + Term(0.8, 0.6, 0.6)) // z2₁: positive z1₁; negatives z1₀ (0.6), z2₀ (0.6)
                          / 4;

        var z1 = tensor(new float[] { 1, 0, 0, 1 }).view(2, 2);
        var z2 = tensor(new float[] { 1, 0, 0.6f, 0.8f }).view(2, 2);
        double actual = SimClrObjective.NtXent(z1, z2, t).item<float>();
        Assert.Equal(expected, actual, 5);

        // Scaling a vector changes nothing (cosine similarity), swapping the views changes nothing (symmetry).
        Assert.Equal(actual, SimClrObjective.NtXent(z1 * 3, z2, t).item<float>(), 5);
        Assert.Equal(actual, SimClrObjective.NtXent(z2, z1, t).item<float>(), 5);
    }

    [Fact]
    public void Forward_gives_two_independent_views_a_loss_metrics_and_detached_features()
    {
        using var objective = new SimClrObjective(new SimClrOptions { ProjectorHiddenDim = 16, ProjectionDim = 8 }, TinyModels.Context());
        Assert.Equal(new ViewRequest(2, SharedGeometry: false), objective.Views);
        objective.train();
        var output = objective.Forward(TinyModels.TwoViews(1), new StepInfo(0, 10));
        Assert.True(float.IsFinite(output.Loss.item<float>()));
        Assert.InRange(output.Metrics["simclr/pos_cosine"].item<float>(), -1, 1);
        Assert.InRange(output.Metrics["simclr/neg_cosine"].item<float>(), -1, 1);
        Assert.Equal(new long[] { 8, TinyModels.Width }, output.Features!.shape);
        Assert.False(output.Features.requires_grad);
        var prefixes = objective.named_parameters().Select(p => p.name.Split('.')[0]).Distinct().Order();
        Assert.Equal(new[] { "encoder", "projector" }, prefixes);
    }

    [Fact]
    public void Bad_options_are_refused_with_the_key()
    {
        var error = Assert.Throws<ArgumentException>(() => new SimClrObjective(new SimClrOptions { Temperature = 0 }, TinyModels.Context()));
        Assert.Contains("Temperature", error.Message);
    }
}
