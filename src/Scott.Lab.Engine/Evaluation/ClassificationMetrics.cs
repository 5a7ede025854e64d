using static TorchSharp.torch;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>Top-1, top-5 (top-k with k = min(5, classes)) and mean per-class accuracy, as fractions in [0, 1].</summary>
public sealed record ClassificationMetrics(double Top1, double Top5, double MeanPerClass, int Count)
{
    /// <summary>From scores (N, C) (logits, votes or probabilities: only their order matters) and labels (N).</summary>
    public static ClassificationMetrics From(Tensor scores, Tensor labels)
    {
        using var scope = NewDisposeScope();
        long n = scores.shape[0], classes = scores.shape[1];
        if (n == 0) return new ClassificationMetrics(double.NaN, double.NaN, double.NaN, 0);
        labels = labels.to(scores.device);
        int k = (int)Math.Min(5, classes);
        var topk = scores.topk(k, dim: 1).indexes;
        var hitsTop1 = topk[.., 0].eq(labels);
        var hitsTopK = topk.eq(labels.unsqueeze(1)).any(1);
        // Mean over the classes present in the labels of the recall of each.
        var perClassHits = zeros(classes, dtype: float64, device: scores.device).index_add_(0, labels, hitsTop1.to(float64), 1);
        var perClassCount = zeros(classes, dtype: float64, device: scores.device).index_add_(0, labels, ones(n, dtype: float64, device: scores.device), 1);
        var present = perClassCount.gt(0);
        double meanPerClass = (perClassHits[present] / perClassCount[present]).mean().item<double>();
        return new ClassificationMetrics(
            hitsTop1.to(float64).mean().item<double>(),
            hitsTopK.to(float64).mean().item<double>(),
            meanPerClass,
            (int)n);
    }
}
