using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Analysis;

/// <summary>
/// A PCA fitted on the rows of a (M, D) matrix: the mean, the principal axes as orthonormal rows of
/// <see cref="Components"/> (k, D), ordered by decreasing explained variance, and that variance.
/// Signs are fixed so that each axis's entry of largest magnitude is positive (SVD signs are arbitrary).
/// Everything is float64 on the CPU.
/// </summary>
public sealed class PcaFit : IDisposable
{
    public required Tensor Mean { get; init; }
    public required Tensor Components { get; init; }
    /// <summary>Variance along each axis: singular value² / (M − 1).</summary>
    public required Tensor ExplainedVariance { get; init; }
    /// <summary>Explained variance / total variance of the centred data.</summary>
    public required Tensor ExplainedVarianceRatio { get; init; }

    /// <summary>Fits the first <paramref name="components"/> axes (fewer when M or D is smaller) by SVD of the centred data.</summary>
    public static PcaFit Fit(Tensor data, int components)
    {
        if (data.dim() != 2) throw new ArgumentException($"PCA needs a (M, D) matrix, got {data.dim()} dimensions.", nameof(data));
        if (data.shape[0] < 2) throw new ArgumentException("PCA needs at least 2 rows.", nameof(data));
        using var scope = NewDisposeScope();
        var x = data.to(ScalarType.Float64).to(CPU);
        var mean = x.mean(new long[] { 0 });
        var centred = x - mean;
        var (_, s, vh) = linalg.svd(centred, fullMatrices: false);
        int k = (int)Math.Min(components, s.shape[0]);
        var axes = vh[..k];
        // Deterministic signs: the largest-magnitude entry of each axis is positive.
        var largest = axes.abs().argmax(1, keepdim: true);
        var signs = axes.gather(1, largest).sign();
        signs = where(signs == 0, ones_like(signs), signs);
        axes = axes * signs;
        var variance = s.square() / (x.shape[0] - 1);
        var total = centred.square().sum() / (x.shape[0] - 1);
        return new PcaFit
        {
            Mean = mean.MoveToOuterDisposeScope(),
            Components = axes.contiguous().MoveToOuterDisposeScope(),
            ExplainedVariance = variance[..k].contiguous().MoveToOuterDisposeScope(),
            ExplainedVarianceRatio = (variance[..k] / total.clamp_min(1e-300)).MoveToOuterDisposeScope(),
        };
    }

    public int Count => (int)Components.shape[0];

    /// <summary>Moves the fit's tensors out of the current dispose scope (they belong to the fit's owner).</summary>
    public PcaFit MoveToOuterDisposeScope()
    {
        Mean.MoveToOuterDisposeScope();
        Components.MoveToOuterDisposeScope();
        ExplainedVariance.MoveToOuterDisposeScope();
        ExplainedVarianceRatio.MoveToOuterDisposeScope();
        return this;
    }

    /// <summary>Coordinates of the rows of <paramref name="data"/> (M, D) on the axes: (M, k), float64.</summary>
    public Tensor Project(Tensor data) => (data.to(ScalarType.Float64).to(CPU) - Mean).matmul(Components.t());

    public void Dispose()
    {
        Mean.Dispose();
        Components.Dispose();
        ExplainedVariance.Dispose();
        ExplainedVarianceRatio.Dispose();
    }
}

/// <summary>How a token grid is enlarged to the image size.</summary>
public enum Upsampling { Nearest, Bilinear }

/// <summary>
/// Options of <see cref="PcaMaps"/>. A token is foreground when <c>minmax(Sign · pc1) &gt; Threshold</c>, where pc1
/// is its coordinate on the first principal axis of all tokens of the set and minmax scales it to [0, 1] over the
/// whole set (so the same threshold means the same thing for every image of the set). Sign −1 flips which end of
/// the axis is foreground. With <see cref="ColourBackground"/> every token is coloured (no black background).
/// </summary>
public sealed record PcaMapOptions(double Threshold = 0.5, int Sign = 1, bool ColourBackground = false)
{
    public void Validate()
    {
        if (Sign is not (1 or -1)) throw new ArgumentException($"sign: must be 1 or -1, got {Sign}.");
        if (!(Threshold >= 0 && Threshold < 1)) throw new ArgumentException($"threshold: must be in [0, 1), got {Threshold}.");
    }
}

/// <summary>The PCA maps of a set of images, and what produced them (for tests and the portal).</summary>
public sealed class PcaMapResult : IDisposable
{
    /// <summary>The PCA of all N·T tokens; its first axis separates foreground from background.</summary>
    public required PcaFit Background { get; init; }
    /// <summary>The PCA of the foreground tokens only (all tokens with ColourBackground); its first 3 axes are R, G, B.</summary>
    public required PcaFit Foreground { get; init; }
    /// <summary>minmax(Sign · pc1) over the set, (N, h, w) in [0, 1], float64.</summary>
    public required Tensor Pc1Scaled { get; init; }
    /// <summary>(N, h, w) bool.</summary>
    public required Tensor ForegroundMask { get; init; }
    /// <summary>(N, h, w, 3) uint8 colours; background tokens black unless ColourBackground.</summary>
    public required Tensor Maps { get; init; }

    public void Dispose()
    {
        Background.Dispose();
        Foreground.Dispose();
        Pc1Scaled.Dispose();
        ForegroundMask.Dispose();
        Maps.Dispose();
    }
}

/// <summary>
/// DINO-style PCA maps of a frozen encoder's tokens over a set of images: a first PCA over all tokens of the set
/// thresholds out the background on its first component; a second PCA over the foreground tokens maps its first
/// three components to RGB, each min-max scaled to [0, 255] over the set's foreground tokens.
/// </summary>
public static class PcaMaps
{
    /// <param name="tokens">(N, T, D) token embeddings with T = h·w, patch tokens only (registers dropped).</param>
    public static PcaMapResult Compute(Tensor tokens, int gridHeight, int gridWidth, PcaMapOptions? options = null)
    {
        options ??= new PcaMapOptions();
        options.Validate();
        if (tokens.dim() != 3 || tokens.shape[1] != (long)gridHeight * gridWidth)
            throw new ArgumentException($"Expected tokens (N, {gridHeight * gridWidth}, D), got ({string.Join(", ", tokens.shape)}).", nameof(tokens));
        long n = tokens.shape[0], t = tokens.shape[1], d = tokens.shape[2];
        using var scope = NewDisposeScope();
        var flat = tokens.to(ScalarType.Float64).to(CPU).reshape(n * t, d);

        var background = PcaFit.Fit(flat, 1);
        var pc1 = background.Project(flat)[.., 0] * options.Sign;
        var scaled = MinMax(pc1, pc1);
        var foreground = scaled > options.Threshold;
        long count = foreground.sum().item<long>();
        if (!options.ColourBackground && count < 2)
            throw new InvalidOperationException($"Only {count} token(s) are foreground at threshold {options.Threshold} (sign {options.Sign}); lower the threshold or flip the sign.");

        var fitOn = options.ColourBackground ? flat : flat.index_select(0, foreground.nonzero().squeeze(1));
        var colourFit = PcaFit.Fit(fitOn, 3);
        var coords = colourFit.Project(flat);               // (N·T, k)
        var reference = colourFit.Project(fitOn);           // what the min-max is taken over
        var channels = new Tensor[3];
        for (int c = 0; c < 3; c++)
            channels[c] = c < colourFit.Count ? MinMax(coords[.., c], reference[.., c]) : zeros(n * t, dtype: ScalarType.Float64);
        var rgb = stack(channels, 1);
        if (!options.ColourBackground) rgb = rgb * foreground.unsqueeze(1).to(ScalarType.Float64);
        var maps = (rgb * 255).round().clamp(0, 255).to(ScalarType.Byte).reshape(n, gridHeight, gridWidth, 3);

        return new PcaMapResult
        {
            Background = background.MoveToOuterDisposeScope(),
            Foreground = colourFit.MoveToOuterDisposeScope(),
            Pc1Scaled = scaled.reshape(n, gridHeight, gridWidth).MoveToOuterDisposeScope(),
            ForegroundMask = foreground.reshape(n, gridHeight, gridWidth).MoveToOuterDisposeScope(),
            Maps = maps.MoveToOuterDisposeScope(),
        };
    }

    /// <summary>(x − min) / (max − min) with min and max taken over <paramref name="over"/>, clamped to [0, 1]; 0 when constant.</summary>
    public static Tensor MinMax(Tensor x, Tensor over)
    {
        var min = over.min();
        var range = over.max() - min;
        return range.item<double>() > 0 ? ((x - min) / range).clamp(0, 1) : zeros_like(x);
    }

    /// <summary>(N, h, w, C) uint8 maps → (N, H, W, C) uint8, nearest or bilinear.</summary>
    public static Tensor Upsample(Tensor maps, int height, int width, Upsampling mode = Upsampling.Nearest)
    {
        using var scope = NewDisposeScope();
        var x = maps.permute(0, 3, 1, 2).to(ScalarType.Float32);
        x = mode == Upsampling.Nearest
            ? F.interpolate(x, new long[] { height, width }, mode: InterpolationMode.Nearest)
            : F.interpolate(x, new long[] { height, width }, mode: InterpolationMode.Bilinear, align_corners: false);
        return x.round().clamp(0, 255).to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope();
    }
}
