using Scott.Lab.Abstractions.Masking;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Objectives.Common;
using Scott.Lab.Objectives.Mae;
using Scott.Lab.Objectives.SimMim;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Tests;

public class PixelObjectiveTests
{
    [Fact]
    public void Masked_loss_counts_only_masked_patches()
    {
        // B = 1, N = 3 patches of 2 values; patch 1 is masked only.
        var target = zeros(1, 3, 2);
        var predicted = tensor(new float[] { 9, 9, /**/ 1, 3, /**/ -7, 7 }).view(1, 3, 2);
        var keep = tensor(new float[] { 1, 0, 1 }).view(1, 3);
        Assert.Equal((1 + 9) / 2.0, PixelTargets.MaskedLoss(predicted, target, keep, absolute: false).item<float>(), 6);
        Assert.Equal((1 + 3) / 2.0, PixelTargets.MaskedLoss(predicted, target, keep, absolute: true).item<float>(), 6);

        // Whatever is predicted at visible patches, the loss stays the same.
        var changed = predicted.clone();
        changed[0, 0] = tensor(new float[] { -100, 100 });
        changed[0, 2] = tensor(new float[] { 0, 0 });
        Assert.Equal(PixelTargets.MaskedLoss(predicted, target, keep, false).item<float>(), PixelTargets.MaskedLoss(changed, target, keep, false).item<float>());
        // A masked patch's prediction does count.
        changed[0, 1] = tensor(new float[] { 0, 0 });
        Assert.Equal(0, PixelTargets.MaskedLoss(changed, target, keep, false).item<float>());
    }

    [Fact]
    public void Patchify_follows_the_tokens_row_major_order_and_normalises_per_patch()
    {
        // A 1-channel 4×4 image with 2×2 patches: patch (row 0, col 1) holds pixels 2, 3, 6, 7.
        var image = arange(16, dtype: float32).view(1, 1, 4, 4);
        var patches = PixelTargets.Patchify(image, 2, 2);
        Assert.Equal(new long[] { 1, 4, 4 }, patches.shape);
        Assert.Equal(new float[] { 2, 3, 6, 7 }, patches[0, 1].data<float>().ToArray());
        Assert.Equal(new float[] { 8, 9, 12, 13 }, patches[0, 2].data<float>().ToArray());

        var normalised = PixelTargets.NormalizePerPatch(patches);
        Assert.True(normalised.mean(new long[] { -1 }).abs().max().item<float>() < 1e-5);
        Assert.True((normalised.var(-1, unbiased: false) - 1).abs().max().item<float>() < 1e-3);
        Assert.Throws<ArgumentException>(() => PixelTargets.Patchify(zeros(1, 1, 5, 5), 2, 2));
    }

    [Fact]
    public void Visible_tokens_are_gathered_and_scattered_back_in_place()
    {
        var keep = tensor(new float[] { 0, 1, 1, 0, /**/ 1, 0, 0, 1 }).view(2, 4);
        var indices = VisibleTokens.Indices(keep);
        Assert.Equal(new long[] { 1, 2, 0, 3 }, indices.data<long>().ToArray());
        var tokens = arange(8, dtype: float32).view(2, 4, 1);
        var visible = VisibleTokens.Gather(tokens, indices);
        Assert.Equal(new float[] { 1, 2, 4, 7 }, visible.data<float>().ToArray());
        var back = VisibleTokens.Scatter(full(2, 4, 1, -1f), indices, visible);
        Assert.Equal(new float[] { -1, 1, 2, -1, 4, -1, -1, 7 }, back.data<float>().ToArray());
        Assert.Throws<ArgumentException>(() => VisibleTokens.Indices(tensor(new float[] { 1, 1, 0, 1 }).view(2, 2)));
    }

    [Fact]
    public void Mae_encoder_sees_visible_tokens_only()
    {
        var context = TinyModels.Context();
        using var encoder = context.Models.CreateEncoder();
        encoder.eval();
        var images = randn(2, TinyModels.Channels, TinyModels.ImageSize, TinyModels.ImageSize);
        var keep = new TokenMaskGenerator(4, 4, 0.75, MaskMode.Uniform, seed: 1).Next(2);
        var visible = encoder.ForwardVisible(images, keep);
        Assert.Equal(new long[] { 2, 4, TinyModels.Width }, visible.shape); // 25% of 16 tokens

        // Pixels of masked patches cannot change what the encoder computes.
        var pixelKeep = nn.functional.interpolate(keep.view(2, 1, 4, 4), new long[] { 16, 16 }, mode: InterpolationMode.Nearest);
        var scrambled = images * pixelKeep + randn_like(images) * (1 - pixelKeep);
        Assert.True(TinyModels.MaxAbs(encoder.ForwardVisible(scrambled, keep) - visible) < 1e-5);
    }

    [Fact]
    public void Mae_trains_encoder_decoder_and_head_with_a_masked_pixel_loss()
    {
        using var objective = new MaeObjective(new MaeOptions { MaskRatio = 0.75 }, TinyModels.Context());
        objective.train();
        var output = objective.Forward(TinyModels.OneView(1), new StepInfo(0, 10));
        Assert.Equal(0.25, output.Metrics["mask/visible_fraction"].item<float>(), 6);
        Assert.Equal(new long[] { 8, TinyModels.Width }, output.Features!.shape);
        output.Loss.backward();
        // Masked tokens are dropped, not replaced: the encoder's own mask token is the one parameter left out.
        foreach (var (name, parameter) in objective.named_parameters().Where(p => p.name != "encoder.mask_token"))
            Assert.True(parameter.grad is not null && TinyModels.MaxAbs(parameter.grad) > 0, $"{name} has no gradient");
        var head = objective.named_parameters().Single(p => p.name == "pixel_head.weight").parameter;
        Assert.Equal(TinyModels.Channels * TinyModels.Patch * TinyModels.Patch, head.shape[0]);
    }

    [Fact]
    public void SimMim_masks_through_the_encoder_mask_token_and_needs_square_patches()
    {
        using var objective = new SimMimObjective(new SimMimOptions { MaskRatio = 0.5 }, TinyModels.Context());
        objective.train();
        var output = objective.Forward(TinyModels.OneView(2), new StepInfo(0, 10));
        Assert.Equal(0.5, output.Metrics["mask/visible_fraction"].item<float>(), 6);
        output.Loss.backward();
        foreach (var (name, parameter) in objective.named_parameters())
            Assert.True(parameter.grad is not null && TinyModels.MaxAbs(parameter.grad) > 0, $"{name} has no gradient");

        var noSize = TinyModels.Context() with { ImageSize = 0 };
        Assert.Contains("image size", Assert.Throws<ArgumentException>(() => new SimMimObjective(new SimMimOptions(), noSize)).Message);
        var badSize = TinyModels.Context() with { ImageSize = 18 };
        Assert.Contains("model.image_size", Assert.Throws<ArgumentException>(() => new SimMimObjective(new SimMimOptions(), badSize)).Message);
    }
}
