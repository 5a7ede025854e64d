using System.Diagnostics;
using System.Text.Json.Serialization;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using static TorchSharp.torch;

namespace Scott.Lab.Engine.Evaluation;

public enum EvalProtocol { Linear, Knn, Attentive, Paper }

/// <summary>What is evaluated: the run's checkpoint, or a baseline that needs no pre-training.</summary>
public enum EvalSubject { Checkpoint, Pixels, RandomInit }

/// <summary>An evaluation to run. Epochs are the probes' training epochs (the defaults are CPU-sized; full-length attentive probing on a GPU trains 100 epochs, 20% of them warm-up).</summary>
public sealed record EvalRequest(
    IReadOnlyList<EvalProtocol> Protocols,
    EvalSubject Subject = EvalSubject.Checkpoint,
    int? LabelsPerClass = null,
    int Seed = 0,
    int LinearEpochs = 30,
    int AttentiveEpochs = 20,
    int BatchSize = 256,
    int MinSteps = 1500)
{
    /// <summary>Settings of <see cref="EvalProtocol.Paper"/> (null: the reference's defaults).</summary>
    public PaperProbeOptions? Paper { get; init; }
}

/// <summary>Accuracies in [0, 1] on one split.</summary>
public sealed record SplitScores(double Top1, double Top5, double MeanPerClass, int Count)
{
    public static SplitScores From(ClassificationMetrics m) => new(m.Top1, m.Top5, m.MeanPerClass, m.Count);
}

/// <summary>The result of one protocol: test metrics at the top level (what is reported), and how they were chosen.</summary>
public sealed record EvalResult
{
    public required string Protocol { get; init; }
    /// <summary>The paper protocol's training views: "augmented" (fresh every epoch) or "bounded K=…"; null for the others.</summary>
    public string? Variant { get; init; }
    /// <summary>The paper protocol's settings (schedule, heads, augmentation), as used.</summary>
    public PaperProbeOptions? Paper { get; init; }
    public required string Subject { get; init; }
    public string? Checkpoint { get; init; }
    public int? LabelsPerClass { get; init; }
    public int Seed { get; init; }
    public double Top1 { get; init; }
    public double Top5 { get; init; }
    public double MeanPerClass { get; init; }
    /// <summary>The dataset's number of classes: top-5 says nothing with 5 or fewer (it is always 100%).</summary>
    public int Classes { get; init; }
    public required SplitScores Validation { get; init; }
    public required SplitScores Test { get; init; }
    /// <summary>The head and hyper-parameters picked on the validation split (kNN: its fixed k and temperature).</summary>
    public required string Selected { get; init; }
    public IReadOnlyList<CandidateResult>? Candidates { get; init; }
    public required IReadOnlyDictionary<string, int> SplitSizes { get; init; }
    public required string ValidationOrigin { get; init; }
    public double WallSeconds { get; init; }
    [JsonIgnore] public string FileStem { get; init; } = "";
}

/// <summary>
/// Frozen evaluation of an encoder (or of a baseline) on a labelled dataset: features once per split, then the
/// protocols. Every choice (head, learning rate, weight decay, epoch) is made on the validation split; the test
/// split is only scored with what was chosen.
/// </summary>
public sealed class EvalRunner(IImageDataset dataset, EncoderModule? encoder, int imageSize, Device device, Action<EvalProgress>? progress)
{
    public IReadOnlyList<EvalResult> Run(EvalRequest request, string? checkpoint) => Run(request, [request.LabelsPerClass], checkpoint);

    /// <summary>
    /// The request's protocols at several label budgets (null = all labels), from one feature extraction: the
    /// validation and test features are computed once, and when all labels are among the budgets, a smaller
    /// budget's training features are picked out of the whole pool's instead of being extracted again.
    /// </summary>
    public IReadOnlyList<EvalResult> Run(EvalRequest request, IReadOnlyList<int?> labelBudgets, string? checkpoint)
    {
        if (request.Subject != EvalSubject.Pixels && encoder is null)
            throw new ArgumentException("An encoder is needed unless the subject is raw pixels.");
        if (request.Subject == EvalSubject.Pixels && (request.Protocols.Contains(EvalProtocol.Attentive) || request.Protocols.Contains(EvalProtocol.Paper)))
            throw new InvalidOperationException("The attentive probes need tokens; raw pixels have none. Use --protocol linear or knn with --baseline pixels.");
        if (labelBudgets.Count == 0) throw new ArgumentException("No label budget to evaluate.");
        if (request.Protocols.Contains(EvalProtocol.Paper) && encoder is not null)
        {
            // The paper protocol extracts its own features (augmented training views, its own eval resize).
            var others = request.Protocols.Where(p => p != EvalProtocol.Paper).ToList();
            var paper = new PaperProtocol(dataset, encoder, imageSize, device, progress).Run(request, labelBudgets, checkpoint);
            return others.Count == 0 ? paper : [.. Run(request with { Protocols = others }, labelBudgets, checkpoint), .. paper];
        }

        var wall = Stopwatch.StartNew();
        var splits = LabelSplits.For(dataset, null, request.Seed);
        bool tokens = request.Protocols.Contains(EvalProtocol.Attentive);
        var preprocess = new EvalPreprocessor(imageSize, dataset.Mean, dataset.Std);
        FeatureSet Features(IImageSource source, string name) => request.Subject == EvalSubject.Pixels
            ? FeatureExtractor.Pixels(source, dataset.Channels, preprocess, request.BatchSize, $"pixels {name}", progress)
            : FeatureExtractor.Extract(encoder!, source, dataset.Channels, preprocess, request.BatchSize, device, tokens, $"features {name}", progress);

        using var pool = labelBudgets.Contains(null) ? Features(splits.Train, "train") : null;
        using var validation = Features(splits.Validation, "validation");
        using var test = Features(splits.Test, "test");
        double sharedSeconds = wall.Elapsed.TotalSeconds;

        var results = new List<EvalResult>();
        foreach (var budget in labelBudgets.Distinct())
        {
            var started = Stopwatch.StartNew();
            FeatureSet? subset = null;
            if (budget is { } perClass)
            {
                // The same images LabelSplits.For(dataset, perClass, seed) gives the probe and the supervised baseline.
                var positions = LabelSplits.PerClass(splits.Train, perClass, request.Seed);
                subset = pool?.Select(positions) ?? Features(new SubsetSource(splits.Train, positions), $"train ({perClass}/class)");
            }
            using (subset)
                results.AddRange(Probe(request with { LabelsPerClass = budget }, subset ?? pool!, validation, test, splits.ValidationOrigin, checkpoint,
                    sharedSeconds, started));
        }
        return results;
    }

    private IEnumerable<EvalResult> Probe(EvalRequest request, FeatureSet train, FeatureSet validation, FeatureSet test, string validationOrigin,
        string? checkpoint, double sharedSeconds, Stopwatch started)
    {
        int classes = dataset.ClassNames.Count;
        var sizes = new Dictionary<string, int> { ["train"] = (int)train.Count, ["validation"] = (int)validation.Count, ["test"] = (int)test.Count };
        string subject = request.Subject switch { EvalSubject.Pixels => "pixels", EvalSubject.RandomInit => "random-init", _ => "checkpoint" };
        string suffix = (request.Subject == EvalSubject.Checkpoint ? "" : $"-{subject}") + (request.LabelsPerClass is { } n ? $"-{n}pc" : "");
        var results = new List<EvalResult>();
        foreach (var protocol in request.Protocols.Distinct())
        {
            var (selected, val, tst, candidates) = protocol switch
            {
                EvalProtocol.Linear => Linear(train, validation, test, classes, request),
                EvalProtocol.Knn => Knn(train, validation, test, classes, progress),
                _ => Attentive(train, validation, test, classes, request),
            };
            string name = protocol.ToString().ToLowerInvariant();
            results.Add(new EvalResult
            {
                Protocol = name,
                Subject = subject,
                Checkpoint = request.Subject == EvalSubject.Checkpoint ? checkpoint : null,
                LabelsPerClass = request.LabelsPerClass,
                Seed = request.Seed,
                Top1 = tst.Top1, Top5 = tst.Top5, MeanPerClass = tst.MeanPerClass, Classes = classes,
                Validation = SplitScores.From(val),
                Test = SplitScores.From(tst),
                Selected = selected,
                Candidates = candidates,
                SplitSizes = sizes,
                ValidationOrigin = validationOrigin,
                // The shared extraction, plus this budget's own features and probes so far.
                WallSeconds = sharedSeconds + started.Elapsed.TotalSeconds,
                FileStem = name + suffix,
            });
        }
        return results;
    }

    /// <summary>Of several results, the one a user should report: the best validation top-1 among the trained probes.</summary>
    public static EvalResult? BestOnValidation(IEnumerable<EvalResult> results) =>
        results.Where(r => r.Protocol is "linear" or "attentive" or "paper").MaxBy(r => r.Validation.Top1);

    private (string, ClassificationMetrics, ClassificationMetrics, IReadOnlyList<CandidateResult>?) Linear(
        FeatureSet train, FeatureSet validation, FeatureSet test, int classes, EvalRequest request)
    {
        // Standardise with the training statistics: the probe is still linear, and one learning-rate grid then fits every encoder.
        using var scope = NewDisposeScope();
        var mean = train.Pooled.mean(new long[] { 0 }, keepdim: true);
        var std = train.Pooled.std(0, keepdim: true).clamp_min(1e-6);
        LabelledInputs Standardised(FeatureSet set) => new((set.Pooled - mean) / std, set.Labels);
        long dim = train.Pooled.shape[1];
        var candidates = new List<ProbeCandidate>();
        SeedProbeHeads(request.Seed, stream: 35);
        foreach (var lr in new[] { 1e-3, 3e-3, 1e-2 })
            foreach (var wd in new[] { 1e-4, 1e-2, 1e-1 })
                candidates.Add(new ProbeCandidate($"linear lr={lr:G2} wd={wd:G2}", new LinearHead(dim, classes), lr, wd));
        var outcome = ProbeTrainer.Train(candidates, Standardised(train), Standardised(validation), Standardised(test),
            new ProbeOptions(request.LinearEpochs, BatchSize: 1024, WarmupFraction: 0.1, MinSteps: request.MinSteps, Seed: request.Seed), device, "linear probe", progress);
        foreach (var c in candidates) c.Head.Dispose();
        return (outcome.Selected.Name + $" epoch={outcome.Selected.BestEpoch}", outcome.Validation, outcome.Test, outcome.Candidates);
    }

    /// <summary>
    /// Seeds torch's global generator before the probe heads are made: their initial weights (and the attentive
    /// heads' dropout) then come from the request's seed, not from whatever drew on the generator before, so one
    /// checkpoint evaluated twice (alone, or in an accuracy curve after other checkpoints) gives the same result.
    /// </summary>
    private static void SeedProbeHeads(int seed, int stream) => manual_seed(StepSeed.For(seed, 0, stream));

    private static (string, ClassificationMetrics, ClassificationMetrics, IReadOnlyList<CandidateResult>?) Knn(
        FeatureSet train, FeatureSet validation, FeatureSet test, int classes, Action<EvalProgress>? progress)
    {
        using var scope = NewDisposeScope();
        progress?.Invoke(new EvalProgress("knn", 0, 2)); // the phase starts (scoring validation, then test)
        ClassificationMetrics Score(FeatureSet set, int done)
        {
            var metrics = ClassificationMetrics.From(KnnClassifier.Votes(train.Pooled, train.Labels, set.Pooled, classes), set.Labels);
            progress?.Invoke(new EvalProgress("knn", done, 2));
            return metrics;
        }
        return ($"knn k={KnnClassifier.DefaultK} T={KnnClassifier.DefaultTemperature}", Score(validation, 1), Score(test, 2), null);
    }

    private (string, ClassificationMetrics, ClassificationMetrics, IReadOnlyList<CandidateResult>?) Attentive(
        FeatureSet train, FeatureSet validation, FeatureSet test, int classes, EvalRequest request)
    {
        long dim = train.Tokens!.shape[2];
        long heads = Math.Max(1, dim / 64);
        while (dim % heads != 0) heads--;
        var candidates = new List<ProbeCandidate>();
        SeedProbeHeads(request.Seed, stream: 36);
        foreach (var lr in new[] { 1e-3, 3e-3 })
        {
            candidates.Add(new ProbeCandidate($"attentive-pooling lr={lr:G2}", new AttentivePoolingHead(dim, classes), lr, 0.01));
            candidates.Add(new ProbeCandidate($"cross-attention heads={heads} lr={lr:G2}", new CrossAttentionHead(dim, heads, classes), lr, 0.01));
        }
        var outcome = ProbeTrainer.Train(candidates, new(train.Tokens, train.Labels), new(validation.Tokens!, validation.Labels),
            new(test.Tokens!, test.Labels), new ProbeOptions(request.AttentiveEpochs, WarmupFraction: 0.2, MinSteps: request.MinSteps, Seed: request.Seed), device, "attentive probes", progress);
        foreach (var c in candidates) c.Head.Dispose();
        return (outcome.Selected.Name + $" epoch={outcome.Selected.BestEpoch}", outcome.Validation, outcome.Test, outcome.Candidates);
    }
}
