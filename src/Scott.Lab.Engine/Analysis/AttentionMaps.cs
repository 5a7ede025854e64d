using Scott.Lab.Engine.Models;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Analysis;

/// <summary>
/// The last block's attention of a set of images over the patch grid: <see cref="Weights"/> is (N, heads, P, P),
/// softmax(QKᵀ/√d) from that block's own q/k projections, with register tokens' rows and columns dropped and each
/// row renormalised over the patch tokens (so a row is still a distribution: "where patch i looks, among patches").
/// </summary>
public sealed class AttentionMapResult(Tensor weights, int gridHeight, int gridWidth) : IDisposable
{
    public Tensor Weights { get; } = weights;
    public int GridHeight { get; } = gridHeight;
    public int GridWidth { get; } = gridWidth;
    public int Heads => (int)Weights.shape[1];
    public int Count => (int)Weights.shape[0];

    /// <summary>Attention each patch receives, averaged over the queries: (N, h, w). Head null = mean over heads.</summary>
    public Tensor Received(int? head = null) => Select(head).mean(new long[] { 1 }).reshape(Count, GridHeight, GridWidth);

    /// <summary>Where patch <paramref name="token"/> (row-major index in the grid) looks: its row, (N, h, w). Head null = mean over heads.</summary>
    public Tensor From(int token, int? head = null)
    {
        if (token < 0 || token >= GridHeight * GridWidth) throw new ArgumentOutOfRangeException(nameof(token));
        return Select(head)[.., token].reshape(Count, GridHeight, GridWidth);
    }

    private Tensor Select(int? head) => head is { } h
        ? (h >= 0 && h < Heads ? Weights[.., h] : throw new ArgumentOutOfRangeException(nameof(head)))
        : Weights.mean(new long[] { 1 });

    public void Dispose() => Weights.Dispose();
}

/// <summary>Attention maps of a frozen <see cref="VisionTransformer"/> (no mask, eval mode, no gradients).</summary>
public static class AttentionMaps
{
    /// <param name="images">(N, C, S, S) normalised images.</param>
    public static AttentionMapResult Compute(VisionTransformer encoder, Tensor images)
    {
        encoder.eval();
        using var _ = no_grad();
        var weights = encoder.LastBlockAttention(images).to(CPU);
        return new AttentionMapResult(weights, encoder.GridHeight, encoder.GridWidth);
    }

    /// <summary>Maps (N, h, w) → (N, h, w, 3) uint8 heat maps (a viridis-like ramp), each image min-max scaled on its own.</summary>
    public static Tensor HeatMap(Tensor maps)
    {
        using var scope = NewDisposeScope();
        long n = maps.shape[0];
        var flat = maps.to(ScalarType.Float64).reshape(n, -1);
        var min = flat.min(1, keepdim: true).values;
        var range = (flat.max(1, keepdim: true).values - min).clamp_min(1e-12);
        var v = ((flat - min) / range).clamp(0, 1).reshape(maps.shape);
        return Colourise(v).MoveToOuterDisposeScope();
    }

    // Viridis at 0, 0.25, 0.5, 0.75, 1.
    private static readonly double[,] Ramp =
    {
        { 68, 1, 84 }, { 59, 82, 139 }, { 33, 145, 140 }, { 94, 201, 98 }, { 253, 231, 37 },
    };

    /// <summary>Values in [0, 1] of any shape → that shape + (3), uint8, piecewise-linear on the ramp.</summary>
    public static Tensor Colourise(Tensor values)
    {
        using var scope = NewDisposeScope();
        int segments = Ramp.GetLength(0) - 1;
        var ramp = tensor(Enumerable.Range(0, Ramp.Length).Select(i => Ramp[i / 3, i % 3]).ToArray()).reshape(segments + 1, 3);
        var scaled = values.to(ScalarType.Float64).clamp(0, 1) * segments;
        var lower = scaled.floor().clamp(0, segments - 1).to(ScalarType.Int64);
        var frac = (scaled - lower.to(ScalarType.Float64)).unsqueeze(-1);
        var a = ramp.index_select(0, lower.flatten()).reshape([.. values.shape, 3]);
        var b = ramp.index_select(0, (lower + 1).flatten()).reshape([.. values.shape, 3]);
        return (a + (b - a) * frac).round().clamp(0, 255).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }
}
