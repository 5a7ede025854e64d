using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>One head to train, with its own learning rate and weight decay.</summary>
public sealed record ProbeCandidate(string Name, nn.Module<Tensor, Tensor> Head, double LearningRate, double WeightDecay);

/// <summary>
/// Probe training: epochs, minibatch size, share of warm-up, and the fewest optimiser steps: with a small label
/// budget (1,000 images are 4 batches) epochs alone would leave a probe barely trained, so they are raised until
/// <paramref name="MinSteps"/> is reached. The validation split is scored about 30 times over the run.
/// </summary>
public sealed record ProbeOptions(int Epochs, int BatchSize = 256, double WarmupFraction = 0.2, int MinSteps = 1500, int Seed = 0);

/// <summary>Labelled inputs of one split: (N, D) or (N, T, D) features and (N) labels, on the CPU.</summary>
public sealed record LabelledInputs(Tensor Inputs, Tensor Labels);

/// <summary>How one candidate did at its best epoch on the validation split.</summary>
public sealed record CandidateResult(string Name, double LearningRate, double WeightDecay, int BestEpoch, double ValidationTop1);

/// <summary>The selected candidate and epoch, its validation and test metrics, and every candidate's best.</summary>
public sealed record ProbeOutcome(CandidateResult Selected, ClassificationMetrics Validation, ClassificationMetrics Test, IReadOnlyList<CandidateResult> Candidates);

/// <summary>
/// Trains several probe heads at once on the same minibatches (one AdamW, a parameter group per head, linear
/// warm-up then cosine), scores each on the validation split after every few epochs, and keeps the weights of the
/// best (head, epoch) by validation top-1. Only that one is ever scored on the test split.
/// </summary>
public static class ProbeTrainer
{
    public static ProbeOutcome Train(IReadOnlyList<ProbeCandidate> candidates, LabelledInputs train, LabelledInputs validation,
        LabelledInputs test, ProbeOptions options, Device device, string stage, Action<EvalProgress>? progress)
    {
        if (candidates.Count == 0) throw new ArgumentException("No probe candidates.");
        if (train.Labels.shape[0] == 0) throw new InvalidOperationException("The probe's training split is empty.");
        var groups = candidates.Select(c =>
        {
            c.Head.to(device);
            return new AdamW.ParamGroup(c.Head.parameters(), lr: c.LearningRate, weight_decay: c.WeightDecay);
        }).ToList();
        using var optimizer = optim.AdamW(groups, lr: candidates[0].LearningRate);

        long n = train.Labels.shape[0];
        int batch = (int)Math.Min(options.BatchSize, n);
        long stepsPerEpoch = Math.Max(1, n / batch); // drop the incomplete batch, as every epoch is reshuffled
        int epochs = (int)Math.Max(options.Epochs, (options.MinSteps + stepsPerEpoch - 1) / stepsPerEpoch);
        int evaluateEvery = Math.Max(1, epochs / 30);
        long totalSteps = stepsPerEpoch * epochs, warmup = (long)(totalSteps * options.WarmupFraction);
        var best = candidates.Select(_ => (Top1: double.NegativeInfinity, Epoch: 0, State: (Dictionary<string, Tensor>?)null)).ToArray();
        var random = new Random(options.Seed);
        long step = 0;
        for (int epoch = 1; epoch <= epochs; epoch++)
        {
            foreach (var c in candidates) c.Head.train();
            var order = Enumerable.Range(0, (int)n).Select(i => (long)i).ToArray();
            random.Shuffle(order);
            for (long s = 0; s < stepsPerEpoch; s++, step++)
            {
                double factor = step < warmup ? (step + 1.0) / warmup
                    : 0.5 * (1 + Math.Cos(Math.PI * (step - warmup) / Math.Max(1, totalSteps - warmup)));
                for (int i = 0; i < candidates.Count; i++) groups[i].LearningRate = candidates[i].LearningRate * factor;

                using var scope = NewDisposeScope();
                var index = tensor(order.AsSpan((int)(s * batch), batch).ToArray());
                var x = train.Inputs.index_select(0, index).to(device);
                var y = train.Labels.index_select(0, index).to(device);
                optimizer.zero_grad();
                Tensor? loss = null;
                foreach (var c in candidates)
                {
                    var l = F.cross_entropy(c.Head.forward(x), y);
                    loss = loss is null ? l : loss + l;
                }
                loss!.backward();
                optimizer.step();
            }
            if (epoch % evaluateEvery == 0 || epoch == epochs)
            {
                for (int i = 0; i < candidates.Count; i++)
                {
                    double top1 = Evaluate(candidates[i].Head, validation, device, batch).Top1;
                    // Ties go to the later epoch: it has trained longer at a lower learning rate.
                    if (top1 >= best[i].Top1)
                    {
                        best[i].State?.Values.ToList().ForEach(t => t.Dispose());
                        best[i] = (top1, epoch, candidates[i].Head.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()));
                    }
                }
            }
            progress?.Invoke(new EvalProgress(stage, epoch, epochs));
        }

        int chosen = Enumerable.Range(0, candidates.Count).MaxBy(i => best[i].Top1);
        var winner = candidates[chosen].Head;
        winner.load_state_dict(best[chosen].State!);
        foreach (var (_, _, state) in best) state?.Values.ToList().ForEach(t => t.Dispose());
        var results = candidates.Select((c, i) => new CandidateResult(c.Name, c.LearningRate, c.WeightDecay, best[i].Epoch, best[i].Top1)).ToList();
        return new ProbeOutcome(results[chosen], Evaluate(winner, validation, device, batch), Evaluate(winner, test, device, batch), results);
    }

    /// <summary>Scores (logits) of a head on a whole split, batched, without gradients.</summary>
    public static ClassificationMetrics Evaluate(nn.Module<Tensor, Tensor> head, LabelledInputs split, Device device, int batch)
    {
        head.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long n = split.Labels.shape[0];
        var logits = new List<Tensor>();
        for (long start = 0; start < n; start += batch)
            logits.Add(head.forward(split.Inputs.narrow(0, start, Math.Min(batch, n - start)).to(device)).to(CPU));
        return ClassificationMetrics.From(cat(logits, 0), split.Labels);
    }
}
