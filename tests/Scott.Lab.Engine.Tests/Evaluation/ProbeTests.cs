using Scott.Lab.Engine.Evaluation;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Tests.Evaluation;

public class ProbeTests
{
    /// <summary>Features in 8-D where class c sits around 3·e_c: linearly separable with a wide margin.</summary>
    private static LabelledInputs Separable(int perClass, int classes, int seed, bool tokens = false)
    {
        var generator = new Generator().manual_seed(seed);
        var labels = arange(classes).repeat_interleave(perClass);
        var centres = eye(classes, 8) * 3;
        var x = centres.index_select(0, labels) + 0.3f * randn(new long[] { labels.shape[0], 8 }, generator: generator);
        if (tokens) x = x.unsqueeze(1) + 0.3f * randn(new long[] { labels.shape[0], 5, 8 }, generator: generator); // (N, T, D) around the class centre
        return new LabelledInputs(x, labels);
    }

    [Theory]
    [InlineData(1), InlineData(2), InlineData(3), InlineData(4), InlineData(5)]
    public void TheLinearProbeSeparatesLinearlySeparableFeaturesPerfectly(int seed)
    {
        manual_seed(seed); // whatever the initial head
        var candidates = new[] { new ProbeCandidate("linear", new LinearHead(8, 4), 1e-2, 1e-4) };
        var outcome = ProbeTrainer.Train(candidates, Separable(50, 4, 1), Separable(20, 4, 2), Separable(30, 4, 3),
            new ProbeOptions(Epochs: 30, BatchSize: 32, MinSteps: 0), CPU, "test", null);
        Assert.Equal(1.0, outcome.Test.Top1);
        Assert.Equal(1.0, outcome.Test.MeanPerClass);
        Assert.Equal(120, outcome.Test.Count);
    }

    [Fact]
    public void ASmallLabelBudgetStillGetsTheMinimumNumberOfSteps()
    {
        // 40 images at batch 32 make one step per epoch: one epoch alone cannot fit, 300 steps can.
        ProbeOutcome Fit(int minSteps)
        {
            manual_seed(7); // the same initial head either way: only the number of steps differs
            return ProbeTrainer.Train([new ProbeCandidate("linear", new LinearHead(8, 4), 1e-2, 0)],
                Separable(10, 4, 1), Separable(20, 4, 2), Separable(30, 4, 3), new ProbeOptions(Epochs: 1, BatchSize: 32, MinSteps: minSteps), CPU, "test", null);
        }
        Assert.True(Fit(0).Test.Top1 < 0.9);
        var trained = Fit(300);
        Assert.Equal(1.0, trained.Test.Top1);
        Assert.True(trained.Selected.BestEpoch > 1);
    }

    [Fact]
    public void SelectionPicksTheCandidateThatDoesBestOnValidation()
    {
        // A learning rate of 0 cannot learn: selection must prefer the working candidate.
        var candidates = new[]
        {
            new ProbeCandidate("frozen", new LinearHead(8, 4), 0, 0),
            new ProbeCandidate("learning", new LinearHead(8, 4), 1e-2, 0),
        };
        var outcome = ProbeTrainer.Train(candidates, Separable(50, 4, 1), Separable(20, 4, 2), Separable(30, 4, 3),
            new ProbeOptions(Epochs: 10, BatchSize: 32, MinSteps: 0), CPU, "test", null);
        Assert.Equal("learning", outcome.Selected.Name);
        Assert.Equal(2, outcome.Candidates.Count);
        Assert.True(outcome.Candidates[0].ValidationTop1 < outcome.Candidates[1].ValidationTop1);
    }

    [Fact]
    public void AttentiveProbesLearnFromTokens()
    {
        manual_seed(2);
        var candidates = new[]
        {
            new ProbeCandidate("pooling", new AttentivePoolingHead(8, 4), 1e-2, 0),
            new ProbeCandidate("cross", new CrossAttentionHead(8, 2, 4), 1e-2, 0),
        };
        var outcome = ProbeTrainer.Train(candidates, Separable(50, 4, 1, tokens: true), Separable(20, 4, 2, tokens: true),
            Separable(30, 4, 3, tokens: true), new ProbeOptions(Epochs: 20, BatchSize: 32, MinSteps: 0), CPU, "test", null);
        Assert.All(outcome.Candidates, c => Assert.True(c.ValidationTop1 > 0.95, $"{c.Name}: {c.ValidationTop1}"));
        Assert.True(outcome.Test.Top1 > 0.95);
    }

    [Fact]
    public void TheCrossAttentionShortcutEqualsStandardMultiHeadAttention()
    {
        manual_seed(0);
        using var head = new CrossAttentionHead(dim: 12, heads: 3, classes: 5);
        var tokens = randn(4, 7, 12);
        var p = head.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.detach());
        // Reference: project the query and every token, softmax(q·k/√dh) per head, weighted sum of values.
        var q = F.linear(p["query"], p["q_proj.weight"], p["q_proj.bias"]).view(3, 4);
        var k = matmul(tokens, p["k_weight"].t()).view(4, 7, 3, 4);
        var v = F.linear(tokens, p["v_proj.weight"], p["v_proj.bias"]).view(4, 7, 3, 4);
        var weights = (einsum("he,bthe->bht", q, k) / 2.0).softmax(-1);            // √4 = 2
        var attended = einsum("bht,bthe->bhe", weights, v).reshape(4, 12);
        attended = F.linear(attended, p["out_proj.weight"], p["out_proj.bias"]);
        var normed = F.layer_norm(attended + p["query"], new long[] { 12 }, p["norm.weight"], p["norm.bias"]);
        var expected = F.linear(normed, p["fc.weight"], p["fc.bias"]);

        head.eval();
        using var _ = no_grad();
        var actual = head.forward(tokens);
        Assert.True(expected.allclose(actual, rtol: 1e-4, atol: 1e-5), $"max difference {(expected - actual).abs().max().item<float>()}");
    }

    [Fact]
    public void KnnVotesForTheNearestNeighboursClasses()
    {
        // Bank: class 0 along +x, class 1 along +y, class 2 along -x.
        var bank = tensor(new float[,] { { 1, 0 }, { 0.9f, 0.1f }, { 0, 1 }, { 0.1f, 0.9f }, { -1, 0 }, { -0.9f, -0.1f } });
        var labels = tensor(new long[] { 0, 0, 1, 1, 2, 2 });
        var queries = tensor(new float[,] { { 5, 0.2f }, { 0.1f, 3 }, { -2, 0 } }); // scale does not matter (cosine)
        var votes = KnnClassifier.Votes(bank, labels, queries, classes: 3, k: 2);
        Assert.Equal(new long[] { 0, 1, 2 }, votes.argmax(1).data<long>().ToArray());
        // With k = 2 only the two nearest vote: the query along +x gets no vote for class 2.
        Assert.Equal(0f, votes[0, 2].item<float>());
        var metrics = ClassificationMetrics.From(votes, tensor(new long[] { 0, 1, 2 }));
        Assert.Equal(1.0, metrics.Top1);
    }

    [Fact]
    public void MetricsCountTopOneTopFiveAndMeanPerClass()
    {
        // 6 classes; 4 samples: two of class 0 (one right), one of class 1 (right), one of class 2 (wrong, but in the top 5).
        var scores = tensor(new float[,]
        {
            { 9, 1, 0, 0, 0, 0 },
            { 1, 9, 0, 0, 0, 0 },
            { 0, 9, 1, 0, 0, 0 },
            { 0, 0, 5, 0, 0, 9 },
        });
        var metrics = ClassificationMetrics.From(scores, tensor(new long[] { 0, 0, 1, 2 }));
        Assert.Equal(0.5, metrics.Top1, 6);            // samples 0 and 2
        Assert.Equal(1.0, metrics.Top5, 6);            // every label is in its top 5
        Assert.Equal((0.5 + 1 + 0) / 3, metrics.MeanPerClass, 6);
    }
}
