using System.Diagnostics;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Engine.Data;
using Scott.Lab.Engine.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>
/// The paper's probe protocol (<c>--protocol paper</c>): the simple attentive, multi-head attentive and
/// cross-attention probes, each with its own AdamW and the reference schedule (<see cref="PaperProbeOptions"/>),
/// trained on augmented views of the training images that go through the frozen encoder (every epoch, or K views
/// cycled), and scored on the validation split after every epoch. The best (head, epoch) by validation top-1 (ties
/// go to the later epoch) is the one scored on the test split. Unlike the reference, which selects on the test
/// split where a dataset has no validation split, selection is always on validation (carved from training data).
/// </summary>
public sealed class PaperProtocol(IImageDataset dataset, EncoderModule encoder, int imageSize, Device device, Action<EvalProgress>? progress)
{
    public IReadOnlyList<EvalResult> Run(EvalRequest request, IReadOnlyList<int?> labelBudgets, string? checkpoint)
    {
        var options = request.Paper ?? new PaperProbeOptions();
        if (options.Problems().ToList() is { Count: > 0 } problems) throw new ArgumentException(string.Join(" ", problems));
        if (request.Subject == EvalSubject.Pixels)
            throw new InvalidOperationException("The paper's probes need tokens; raw pixels have none. Use --protocol linear or knn with --baseline pixels.");

        var wall = Stopwatch.StartNew();
        var splits = LabelSplits.For(dataset, null, request.Seed);
        var preprocess = new EvalPreprocessor(imageSize, dataset.Mean, dataset.Std, (int)Math.Round(imageSize * options.ResizeRatio));
        FeatureSet Features(IImageSource source, string name) =>
            FeatureExtractor.Extract(encoder, source, dataset.Channels, preprocess, request.BatchSize, device, true, $"paper: features {name}", progress);
        using var validation = Features(splits.Validation, "validation");
        using var test = Features(splits.Test, "test");
        double sharedSeconds = wall.Elapsed.TotalSeconds;

        var results = new List<EvalResult>();
        foreach (var budget in labelBudgets.Distinct())
        {
            var started = Stopwatch.StartNew();
            var train = budget is { } perClass ? new SubsetSource(splits.Train, LabelSplits.PerClass(splits.Train, perClass, request.Seed)) : splits.Train;
            var outcome = Train(train, validation, test, options, request.Seed, request.BatchSize);
            string subject = request.Subject == EvalSubject.RandomInit ? "random-init" : "checkpoint";
            results.Add(new EvalResult
            {
                Protocol = "paper",
                Variant = outcome.Variant,
                Paper = options,
                Subject = subject,
                Checkpoint = request.Subject == EvalSubject.Checkpoint ? checkpoint : null,
                LabelsPerClass = budget,
                Seed = request.Seed,
                Top1 = outcome.Test.Top1, Top5 = outcome.Test.Top5, MeanPerClass = outcome.Test.MeanPerClass,
                Validation = SplitScores.From(outcome.Validation),
                Test = SplitScores.From(outcome.Test),
                Selected = $"{outcome.Selected.Name} epoch={outcome.Selected.BestEpoch}",
                Candidates = outcome.Candidates,
                SplitSizes = new Dictionary<string, int> { ["train"] = train.Count, ["validation"] = (int)validation.Count, ["test"] = (int)test.Count },
                ValidationOrigin = splits.ValidationOrigin,
                WallSeconds = sharedSeconds + started.Elapsed.TotalSeconds,
                FileStem = "paper" + (request.Subject == EvalSubject.Checkpoint ? "" : $"-{subject}") + (budget is { } n ? $"-{n}pc" : ""),
            });
        }
        return results;
    }

    /// <summary>The heads of the protocol for tokens of width <paramref name="dim"/>, by name (<see cref="PaperProbeOptions.ProbeHeads"/>).</summary>
    public static List<(string Name, nn.Module<Tensor, Tensor> Head)> Heads(PaperProbeOptions options, long dim, long classes) =>
        options.ProbeHeads.Distinct().Select(name => name switch
        {
            PaperProbeOptions.Simple => ("simple-attentive", (nn.Module<Tensor, Tensor>)new AttentivePoolingHead(dim, classes, options.Dropout)),
            PaperProbeOptions.MultiHead => ($"multi-head-attentive heads={options.Heads}", new MultiHeadAttentiveHead(dim, options.Heads, classes, options.Dropout)),
            PaperProbeOptions.Cross => ($"cross-attention heads={options.Heads}", new PaperCrossAttentionHead(dim, options.Heads, classes, options.Dropout)),
            _ => throw new ArgumentException($"Unknown probe head '{name}'."),
        }).ToList();

    /// <summary>How the probes were trained, and the chosen one's scores.</summary>
    public sealed record Outcome(string Variant, CandidateResult Selected, ClassificationMetrics Validation, ClassificationMetrics Test, IReadOnlyList<CandidateResult> Candidates);

    /// <summary>
    /// Trains the heads on augmented views of <paramref name="train"/> and selects on <paramref name="validation"/>.
    /// <paramref name="extractionBatch"/>: images per encoder pass when the bounded variant extracts its views.
    /// </summary>
    public Outcome Train(IImageSource train, FeatureSet validation, FeatureSet test, PaperProbeOptions options, int seed, int extractionBatch = 256)
    {
        int n = train.Count;
        if (n == 0) throw new InvalidOperationException("The probe's training split is empty.");
        long dim = encoder.EmbedDim, classes = dataset.ClassNames.Count;
        if (dim % options.Heads != 0)
            throw new ArgumentException($"--probe-attention-heads: the encoder's width {dim} is not divisible by {options.Heads} heads; pick a divisor of {dim}.");

        var geometry = new ViewAugmentation(imageSize, dataset.Mean, dataset.Std,
            new AugmentOptions { CropScale = options.CropScale, FlipP = options.FlipP });
        var augmented = new AugmentedViews(encoder, train, dataset.Channels, geometry, seed, device);
        using ITrainingTokens views = options.Views > 0
            ? new BoundedViews(augmented, n, options.Views, extractionBatch, $"paper: {options.Views} augmented views", progress)
            : augmented;

        torch.manual_seed(seed);
        var heads = Heads(options, dim, classes);
        var optimizerOptions = options.Optimizer();
        var optimizers = heads.Select(h =>
        {
            h.Head.to(device);
            return OptimizerFactory.Create(h.Head, optimizerOptions);
        }).ToList();

        int batch = Math.Min(options.BatchSize, n);
        long stepsPerEpoch = (n + batch - 1) / batch; // the last, smaller batch is kept (a DataLoader's default)
        var schedules = new Schedules(optimizerOptions, (long)options.Epochs * stepsPerEpoch, stepsPerEpoch);
        var validationInputs = new LabelledInputs(validation.Tokens!, validation.Labels);
        var best = heads.Select(_ => (Top1: double.NegativeInfinity, Epoch: 0, State: (Dictionary<string, Tensor>?)null)).ToArray();
        using var labels = tensor(Enumerable.Range(0, n).Select(i => (long)train.LabelAt(i)).ToArray());
        string stage = $"paper probes ({views.Variant})";
        long step = 0;
        try
        {
            for (int epoch = 1; epoch <= options.Epochs; epoch++)
            {
                foreach (var (_, head) in heads) head.train();
                var order = Enumerable.Range(0, n).ToArray();
                new Random(StepSeed.For(seed, epoch, stream: 33)).Shuffle(order);
                for (int start = 0; start < n; start += batch, step++)
                {
                    using var scope = NewDisposeScope();
                    var positions = order.AsSpan(start, Math.Min(batch, n - start)).ToArray();
                    var x = views.Tokens(epoch, positions).to(device);
                    var y = labels.index_select(0, tensor(positions.Select(p => (long)p).ToArray())).to(device);
                    torch.manual_seed(StepSeed.For(seed, step, stream: 34)); // the heads' dropout
                    for (int h = 0; h < heads.Count; h++)
                    {
                        var (optimizer, decay, _) = optimizers[h];
                        OptimizerFactory.Apply(optimizer, decay, schedules.LearningRate(step), schedules.WeightDecay(step));
                        optimizer.zero_grad();
                        F.cross_entropy(heads[h].Head.forward(x), y).backward();
                        optimizer.step();
                    }
                }
                for (int h = 0; h < heads.Count; h++)
                {
                    double top1 = ProbeTrainer.Evaluate(heads[h].Head, validationInputs, device, 256).Top1;
                    if (top1 >= best[h].Top1) // ties go to the later epoch, as in the reference
                    {
                        best[h].State?.Values.ToList().ForEach(t => t.Dispose());
                        best[h] = (top1, epoch, heads[h].Head.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone()));
                    }
                }
                progress?.Invoke(new EvalProgress(stage, epoch, options.Epochs));
            }

            int chosen = Enumerable.Range(0, heads.Count).MaxBy(h => best[h].Top1);
            var winner = heads[chosen].Head;
            winner.load_state_dict(best[chosen].State!);
            var candidates = heads.Select((h, i) => new CandidateResult(h.Name, options.PeakLr, options.WeightDecay[1], best[i].Epoch, best[i].Top1)).ToList();
            return new Outcome(views.Variant, candidates[chosen], ProbeTrainer.Evaluate(winner, validationInputs, device, 256),
                ProbeTrainer.Evaluate(winner, new LabelledInputs(test.Tokens!, test.Labels), device, 256), candidates);
        }
        finally
        {
            foreach (var (state, i) in best.Select((b, i) => (b.State, i))) state?.Values.ToList().ForEach(t => t.Dispose());
            foreach (var (optimizer, _, _) in optimizers) optimizer.Dispose();
            foreach (var (_, head) in heads) head.Dispose();
        }
    }
}
