using Scott.Lab.Objectives.MimJepa;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Tests;

public class MaskedSmoothL1Tests
{
    // B = 2, N = 4, D = 2. Sample 0 masks tokens 1 and 2; sample 1 masks token 0 only.
    private static readonly float[] Keep = [1, 0, 0, 1, /**/ 0, 1, 1, 1];

    // Prediction − target per token. Visible tokens get huge errors that must not count.
    private static readonly float[] Delta =
    [
        5, 5,      0.5f, 2.0f,   -1.0f, 0.2f,   9, -9,
        3, -0.4f,  7, 7,         -8, 8,          6, 6,
    ];

    private static (Tensor Predicted, Tensor Targets, Tensor Keep) Example()
    {
        var targets = linspace(-1, 1, 16).view(2, 4, 2);
        return (targets + tensor(Delta).view(2, 4, 2), targets, tensor(Keep).view(2, 4));
    }

    [Fact]
    public void Hand_computed_value()
    {
        // Smooth-L1 (β = 1): 0.5·x² if |x| < 1, else |x| − 0.5.
        // Sample 0: token 1 → (0.125 + 1.5)/2 = 0.8125; token 2 → (0.5 + 0.02)/2 = 0.26; / 2 masked = 0.53625.
        // Sample 1: token 0 → (2.5 + 0.08)/2 = 1.29; / 1 masked = 1.29.
        // Batch mean: (0.53625 + 1.29)/2 = 0.913125.
        var (predicted, targets, keep) = Example();
        var loss = MimJepaObjective.MaskedSmoothL1(predicted, targets, keep, beta: 1.0);
        Assert.Equal(0, loss.dim());
        Assert.Equal(0.913125, loss.item<float>(), 1e-6);
    }

    [Fact]
    public void Beta_scales_the_quadratic_zone()
    {
        // β = 2: 0.5·x²/β if |x| < β, else |x| − β/2.
        // Sample 0: token 1 → (0.0625 + 1.0)/2 = 0.53125; token 2 → (0.25 + 0.01)/2 = 0.13; / 2 = 0.330625.
        // Sample 1: token 0 → (2.0 + 0.04)/2 = 1.02.
        var (predicted, targets, keep) = Example();
        var loss = MimJepaObjective.MaskedSmoothL1(predicted, targets, keep, beta: 2.0);
        Assert.Equal((0.330625 + 1.02) / 2, loss.item<float>(), 1e-6);
    }

    [Fact]
    public void Visible_tokens_do_not_matter_and_masked_ones_do()
    {
        var (predicted, targets, keep) = Example();
        float baseline = MimJepaObjective.MaskedSmoothL1(predicted, targets, keep, 1.0).item<float>();

        var visibleNoise = randn(2, 4, 2) * 100 * keep.unsqueeze(-1);
        Assert.Equal(baseline, MimJepaObjective.MaskedSmoothL1(predicted + visibleNoise, targets, keep, 1.0).item<float>());
        Assert.Equal(baseline, MimJepaObjective.MaskedSmoothL1(predicted, targets + visibleNoise, keep, 1.0).item<float>());

        var oneMasked = zeros(2, 4, 2);
        oneMasked[1, 0, 1] = tensor(0.3f);
        Assert.NotEqual(baseline, MimJepaObjective.MaskedSmoothL1(predicted + oneMasked, targets, keep, 1.0).item<float>());
    }

    [Fact]
    public void Gradient_is_zero_at_visible_tokens()
    {
        var (predicted, targets, keep) = Example();
        var leaf = predicted.detach().requires_grad_(true);
        MimJepaObjective.MaskedSmoothL1(leaf, targets, keep, 1.0).backward();
        var grad = leaf.grad!;
        Assert.Equal(0f, (grad * keep.unsqueeze(-1)).abs().max().item<float>());
        Assert.True((grad * (1 - keep).unsqueeze(-1)).abs().max().item<float>() > 0);
    }

    [Fact]
    public void Each_sample_is_normalised_by_its_own_masked_count()
    {
        // Same per-token loss everywhere: every sample's loss equals it whatever its masked count.
        var predicted = ones(3, 6, 4) * 0.5f;
        var targets = zeros(3, 6, 4);
        var keep = tensor(new float[] { 1, 1, 1, 1, 1, 0, /**/ 0, 0, 0, 0, 0, 0, /**/ 1, 0, 1, 0, 1, 0 }).view(3, 6);
        Assert.Equal(0.125, MimJepaObjective.MaskedSmoothL1(predicted, targets, keep, 1.0).item<float>(), 1e-7);
    }
}
