using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Engine.Evaluation;
using TorchSharp;
using TorchSharp.Modules;

namespace Scott.Lab.Engine.Training;

/// <summary>What one optimiser step produced.</summary>
public sealed record StepResult(long Step, double Loss, double LearningRate, double WeightDecay, IReadOnlyDictionary<string, double> Metrics);

/// <summary>A loss that stopped being a number; training cannot continue.</summary>
public sealed class TrainingDivergedException(string message) : Exception(message);

/// <summary>
/// The training loop of one run, on the calling thread (dispose scopes are thread-static): one dispose scope per
/// step, the schedules applied before each step, the objective's hooks after it. Every random draw of step s is
/// seeded from (seed, s), which is what makes a resume exact.
/// </summary>
public sealed class Trainer : IDisposable
{
    private readonly AssembledRun _run;
    private readonly AdamW _optimizer;
    private readonly AdamW.ParamGroup _decayGroup;
    private OnlineProbe? _probe;
    private string? _probeCheckpoint;

    public Trainer(AssembledRun run)
    {
        _run = run;
        (_optimizer, _decayGroup, _) = OptimizerFactory.Create(run.Objective, run.Spec.Optimizer);
    }

    /// <summary>Restores model, target, predictor and optimiser from a checkpoint; returns the step to continue from.</summary>
    public long Restore(string checkpoint)
    {
        var state = Checkpoints.Load(checkpoint, _run.Objective, _optimizer);
        _probeCheckpoint = checkpoint; // the probe is created with the first batch's feature width
        if (state.Seed != _run.Spec.Trainer.Seed || state.TotalSteps != _run.TotalSteps)
            throw new InvalidOperationException(
                $"Checkpoint {checkpoint} was made with seed {state.Seed} and {state.TotalSteps} total steps; this run has seed {_run.Spec.Trainer.Seed} and {_run.TotalSteps}. Resume with the run's own config.");
        return state.Step;
    }

    public string SaveCheckpoint(Checkpoints checkpoints, long stepsDone) =>
        checkpoints.Save(_run.Objective, _optimizer, new CheckpointState(stepsDone, _run.TotalSteps, _run.Spec.Trainer.Seed, DateTime.UtcNow.ToString("O")),
            folder => _probe?.Save(folder));

    /// <summary>Runs one step. <paramref name="withMetrics"/> reads the objective's extra metrics (costs a sync on GPU).</summary>
    public StepResult Step(long step, bool withMetrics)
    {
        var run = _run;
        int seed = run.Spec.Trainer.Seed;
        var info = new StepInfo(step, run.TotalSteps);
        using var scope = torch.NewDisposeScope();
        torch.manual_seed(StepSeed.For(seed, step, stream: 1)); // dropout, drop-path
        var random = new Random(StepSeed.For(seed, step, stream: 2)); // augmentation

        var (images, labels, extents) = run.Loader.Batch(step);
        images = images.to(run.Device);
        var views = run.Augmentation.Views(images, run.Objective.Views, random, extents);

        double lr = run.Schedules.LearningRate(step), wd = run.Schedules.WeightDecay(step);
        OptimizerFactory.Apply(_optimizer, _decayGroup, lr, wd);
        run.Objective.train();
        _optimizer.zero_grad();
        labels = labels.to(run.Device);
        ObjectiveOutput output;
        // Mixed precision covers the forward pass only: backward replays the dtypes it recorded, and the optimiser,
        // the EMA update (AfterOptimizerStep) and the probe work on the fp32 master weights and features.
        using (Precision.Use(run.Spec.Trainer.Precision))
            output = run.Objective.Forward(new TrainingBatch(views, labels), info);
        output.Loss.backward();
        _optimizer.step();
        run.Objective.AfterOptimizerStep(info);
        if (output.Features is { } features) Probe(features)?.Update(features, labels);

        double loss = output.Loss.item<float>();
        if (!double.IsFinite(loss))
            throw new TrainingDivergedException($"The loss became {loss} at step {step}. Lower optimizer.lr (now {run.Spec.Optimizer.Lr}) or check the data.");
        var metrics = new Dictionary<string, double>();
        if (withMetrics)
        {
            foreach (var (name, value) in output.Metrics) metrics[name] = value.item<float>();
            if (output.Features is { } embeddings)
            {
                metrics[HealthStd] = RepresentationHealth.NormalizedStd(embeddings);
                metrics[HealthRank] = RepresentationHealth.EffectiveRank(embeddings);
            }
            if (_probe is not null)
                foreach (var (name, value) in _probe.ReadAndReset()) metrics[name] = value;
        }
        return new StepResult(step, loss, lr, wd, metrics);
    }

    public const string HealthStd = "health/std";
    public const string HealthRank = "health/effective_rank";

    /// <summary>A warning for the progress line when the metrics show collapsed embeddings, else null.</summary>
    public static string? CollapseWarning(IReadOnlyDictionary<string, double> metrics) =>
        metrics.TryGetValue(HealthStd, out var std) && std < RepresentationHealth.CollapseStd
            ? $"embeddings are collapsing (normalised std {std:0.0000} < {RepresentationHealth.CollapseStd}; effective rank {metrics.GetValueOrDefault(HealthRank):0.0})"
            : null;

    private OnlineProbe? Probe(torch.Tensor features)
    {
        int classes = _run.Dataset.ClassNames.Count;
        if (_probe is null && classes > 0)
        {
            _probe = new OnlineProbe(features.shape[1], classes, _run.Device);
            if (_probeCheckpoint is not null) _probe.LoadIfPresent(_probeCheckpoint);
        }
        return _probe;
    }

    public void Dispose()
    {
        _probe?.Dispose();
        _optimizer.Dispose();
    }
}
