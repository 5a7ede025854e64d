using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Scott.Lab.Engine.Data;
using Scott.Lab.Engine.Models;
using Scott.Lab.Plugins;

namespace Scott.Lab.Engine.Config;

/// <summary>
/// A whole run: its plugins with their options, model, optimizer, trainer and augmentations. The one type every
/// part of the lab uses for a run (the form, the REST API, the launcher, the worker, maps, comparisons); the run
/// store keeps its tree (<see cref="ToTree"/>) as a document. A spec is bound from a tree in one place,
/// <see cref="RunSpecBinder"/>, which binds each plugin's options to its options type (<see cref="PluginSelection.Bound"/>)
/// and fills the augment keys the tree leaves out with the objective's recipe.
/// </summary>
public sealed class RunSpec
{
    public string? Name { get; set; }
    [Required] public PluginSelection Dataset { get; set; } = new();
    [Required] public PluginSelection Tokenizer { get; set; } = new();
    [Required] public PluginSelection Objective { get; set; } = new();
    public ModelOptions Model { get; set; } = new();
    public OptimizerOptions Optimizer { get; set; } = new();
    public TrainerOptions Trainer { get; set; } = new();
    /// <summary>Null: not given, so the host's defaults with the objective's recipe (the binder fills it in).</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public AugmentOptions? Augment { get; set; }

    /// <summary>The plugins <see cref="RunSpecBinder"/> bound this spec against (null: not bound with plugins), so
    /// <see cref="Training.RunBuilder"/> does not bind a just-bound spec a second time.</summary>
    [JsonIgnore]
    internal IReadOnlyList<PluginEntry>? BoundWith { get; set; }

    /// <summary>
    /// The spec as a config tree (the YAML presets' shape): each plugin's options as bound (every default written)
    /// once the binder has bound them, else as given.
    /// </summary>
    public JsonObject ToTree()
    {
        JsonNode? Node(object? value) => value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType(), ConfigLoader.Json);
        JsonObject Plugin(PluginSelection p) => new() { ["id"] = p.Id, ["options"] = p.Bound is { } bound ? Node(bound) : p.Options?.DeepClone() };
        var tree = new JsonObject
        {
            ["name"] = Name,
            ["dataset"] = Plugin(Dataset),
            ["tokenizer"] = Plugin(Tokenizer),
            ["objective"] = Plugin(Objective),
            ["model"] = Node(Model),
            ["optimizer"] = Node(Optimizer),
            ["trainer"] = Node(Trainer),
        };
        if (Augment is not null) tree["augment"] = Node(Augment);
        return tree;
    }
}

/// <summary>Which plugin, and its options as written (bound to the plugin's options type later).</summary>
public sealed class PluginSelection
{
    [Required(ErrorMessage = "is required (a plugin id; see `scott-lab plugins list`)")]
    public string Id { get; set; } = "";
    public JsonObject? Options { get; set; }

    /// <summary>The options bound to the plugin's options type and validated (set by <see cref="RunSpecBinder"/>).</summary>
    [JsonIgnore]
    public object? Bound { get; set; }
}

/// <summary>AdamW and its learning-rate / weight-decay schedules (the <c>optimizer:</c> section).</summary>
public sealed class OptimizerOptions : IValidatableObject
{
    [Display(Name = "Peak learning rate")]
    [Range(0.0, 10.0, MinimumIsExclusive = true), Description("Peak learning rate.")]
    public double Lr { get; set; } = 5e-4;

    [Display(Name = "Start learning rate")]
    [Range(0.0, 10.0), Description("Learning rate at the start of warm-up.")]
    public double StartLr { get; set; } = 1e-6;

    [Display(Name = "Final learning rate")]
    [Range(0.0, 10.0), Description("Learning rate at the last step.")]
    public double FinalLr { get; set; } = 1e-5;

    [Display(Name = "Weight decay (start, end)")]
    [Description("Weight decay [start, end], linear over the run. Biases and 1-D parameters get none.")]
    public double[] WeightDecay { get; set; } = [0.04, 0.4];

    [Display(Name = "Warm-up (epochs)")]
    [Range(0.0, 100000.0), Description("Linear warm-up length in epochs (fractions allowed).")]
    public double WarmupEpochs { get; set; } = 40;

    [Display(Name = "Flat fraction")]
    [Range(0.0, 1.0), Description("Share of the post-warm-up steps kept at the peak before the cosine decay.")]
    public double FlatFraction { get; set; } = 0.72;

    [Display(Name = "Learning-rate schedule")]
    [AllowedValues("warmup-flat-cosine", "warmup-cosine", "constant"), Description("Learning-rate schedule shape.")]
    public string Schedule { get; set; } = "warmup-flat-cosine";

    [Display(Name = "AdamW β1", Description = "Decay of the running mean of gradients.")]
    [Range(0.0, 1.0, MaximumIsExclusive = true)] public double Beta1 { get; set; } = 0.9;
    [Display(Name = "AdamW β2", Description = "Decay of the running mean of squared gradients.")]
    [Range(0.0, 1.0, MaximumIsExclusive = true)] public double Beta2 { get; set; } = 0.999;
    [Display(Name = "AdamW ε", Description = "Added to the denominator for numerical stability.")]
    [Range(1e-12, 1.0)] public double Eps { get; set; } = 1e-8;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (WeightDecay is not { Length: 2 } || WeightDecay.Any(w => w < 0 || double.IsNaN(w)))
            yield return new ValidationResult("must be two non-negative numbers [start, end], e.g. [0.04, 0.4].", [nameof(WeightDecay)]);
    }
}

/// <summary>How long, how big and where (the <c>trainer:</c> section).</summary>
public sealed class TrainerOptions
{
    [Display(Name = "Epochs")]
    [Range(1, 1_000_000), Description("Epochs over the pre-training images. Ignored when steps is set.")]
    public int Epochs { get; set; } = 300;

    [Display(Name = "Steps")]
    [Range(1L, long.MaxValue), Description("Total optimiser steps; overrides epochs when set.")]
    public long? Steps { get; set; }

    [Display(Name = "Batch size")]
    [Range(1, 1 << 20), Description("Images per step.")]
    public int BatchSize { get; set; } = 64;

    [Display(Name = "Seed")]
    [Description("Seed of every random draw (data order, augmentation, masks, dropout, init).")]
    public int Seed { get; set; } = 47;

    [Display(Name = "Device")]
    [AllowedValues("auto", "cpu", "cuda"), Description("auto picks CUDA when available, else the CPU.")]
    public string Device { get; set; } = "auto";

    [Display(Name = "Time budget (minutes)")]
    [Range(0.0, 1_000_000.0, MinimumIsExclusive = true), Description("Wall-clock budget: stop cleanly, with a checkpoint, after this many minutes of training (per invocation; the schedule still spans the whole run).")]
    public double? MaxMinutes { get; set; }

    [Display(Name = "Precision")]
    [AllowedValues("fp32", "bf16"), Description("Precision of matmuls and convolutions while training. bf16: mixed precision (weights, optimiser state, norms, attention, losses and probes stay fp32); faster where the CPU has bf16 units (AVX512-BF16, AMX) and on CUDA.")]
    public string Precision { get; set; } = "fp32";

    [Display(Name = "Checkpoint every (steps)")]
    [Range(0, int.MaxValue), Description("Save a checkpoint every N steps (0: only at the end).")]
    public int CheckpointEvery { get; set; } = 1000;

    [Display(Name = "Checkpoint every (minutes)")]
    [Range(0.0, 1_000_000.0, MinimumIsExclusive = true), Description("Also save a checkpoint after every M minutes of training (points for an accuracy curve over a wall-clock budget; unset: by steps only).")]
    public double? CheckpointMinutes { get; set; }

    [Display(Name = "Log every (steps)")]
    [Range(1, int.MaxValue), Description("Log metrics every N steps.")]
    public int LogEvery { get; set; } = 10;

    [Display(Name = "CPU threads")]
    [Range(0, 1024), Description("CPU threads for libtorch (0: all cores).")]
    public int Threads { get; set; }

    [Display(Name = "Labels per class")]
    [Range(1, int.MaxValue), Description("Label-trained objectives (supervised) only: use this many labelled training images per class (default: all).")]
    public int? LabelsPerClass { get; set; }

    [Display(Name = "Label seed")]
    [Description("Seed that picks the validation split and the labels_per_class images; `scott-lab eval --seed` uses the same draw.")]
    public int LabelSeed { get; set; }
}
