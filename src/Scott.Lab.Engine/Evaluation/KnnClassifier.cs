using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>
/// Weighted kNN on cosine similarity, the DINO / solo-learn protocol: the k nearest training features of each
/// query vote for their class with weight exp(similarity / T).
/// </summary>
public static class KnnClassifier
{
    public const int DefaultK = 20;
    public const double DefaultTemperature = 0.07;

    /// <summary>Class votes (N, C) for each query (N, D), from a bank (M, D) with labels (M).</summary>
    public static Tensor Votes(Tensor bank, Tensor bankLabels, Tensor queries, int classes, int k = DefaultK,
        double temperature = DefaultTemperature, int chunk = 1024)
    {
        using var scope = NewDisposeScope();
        var normalizedBank = F.normalize(bank, dim: 1);
        int neighbours = (int)Math.Min(k, bank.shape[0]);
        var parts = new List<Tensor>();
        for (long start = 0; start < queries.shape[0]; start += chunk)
        {
            var q = F.normalize(queries.narrow(0, start, Math.Min(chunk, queries.shape[0] - start)), dim: 1);
            var (similarity, index) = matmul(q, normalizedBank.t()).topk(neighbours, dim: 1);
            var weights = (similarity / temperature).exp();
            var votes = zeros(q.shape[0], classes, dtype: weights.dtype).scatter_add_(1, bankLabels[index], weights);
            parts.Add(votes);
        }
        return cat(parts, 0).MoveToOuterDisposeScope();
    }
}
