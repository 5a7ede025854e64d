using System.CommandLine;
using System.Globalization;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Evaluation;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// The flags of <c>eval --protocol paper</c>: every value of the reference's probe protocol can be changed.
/// Defaults come from <see cref="PaperProbeOptions"/>; the crop scale defaults to the run's own augment.crop_scale,
/// as the reference reuses its pre-training crop scale.
/// </summary>
internal sealed class PaperProbeFlags
{
    private static readonly PaperProbeOptions Defaults = new();

    private readonly Option<int> _epochs = new("--probe-epochs") { Description = $"Paper protocol: epochs (default {Defaults.Epochs}).", DefaultValueFactory = _ => Defaults.Epochs };
    private readonly Option<int> _batch = new("--probe-batch-size") { Description = $"Paper protocol: images per step (default {Defaults.BatchSize}).", DefaultValueFactory = _ => Defaults.BatchSize };
    private readonly Option<double> _warmup = new("--probe-warmup-epochs") { Description = $"Paper protocol: linear warm-up epochs (default {Defaults.WarmupEpochs}).", DefaultValueFactory = _ => Defaults.WarmupEpochs };
    private readonly Option<double> _startLr = new("--probe-start-lr") { Description = "Paper protocol: learning rate at the start of warm-up (default 1e-6).", DefaultValueFactory = _ => Defaults.StartLr };
    private readonly Option<double> _lr = new("--probe-lr") { Description = "Paper protocol: peak learning rate (default 5e-4).", DefaultValueFactory = _ => Defaults.PeakLr };
    private readonly Option<double> _finalLr = new("--probe-final-lr") { Description = "Paper protocol: learning rate at the last step (default 1e-5).", DefaultValueFactory = _ => Defaults.FinalLr };
    private readonly Option<double> _flat = new("--probe-flat-fraction") { Description = "Paper protocol: share of the post-warm-up steps at the peak before the cosine (default 0.72).", DefaultValueFactory = _ => Defaults.FlatFraction };
    private readonly Option<string> _weightDecay = new("--probe-weight-decay") { Description = "Paper protocol: weight decay START,END, linear over the steps (default 0.04,0.4).", DefaultValueFactory = _ => "0.04,0.4" };
    private readonly Option<int> _views = new("--probe-views") { Description = "Paper protocol: 0 (default) = fresh augmented views every epoch through the encoder; K = the bounded variant, K views per image extracted once and cycled (CPU)." };
    private readonly Option<string?> _cropScale = new("--probe-crop-scale") { Description = "Paper protocol: RandomResizedCrop area range MIN,MAX of the training views (default: the run's augment.crop_scale)." };
    private readonly Option<double> _flip = new("--probe-flip") { Description = "Paper protocol: horizontal-flip probability of the training views (default 0.5).", DefaultValueFactory = _ => Defaults.FlipP };
    private readonly Option<double> _resize = new("--probe-resize-ratio") { Description = "Paper protocol: validation/test images are resized to this × image size (short side), then centre-cropped (default 256/224).", DefaultValueFactory = _ => Defaults.ResizeRatio };
    private readonly Option<string> _heads = new("--probe-heads") { Description = "Paper protocol: which probes to train, of simple, multi, cross (default all three).", DefaultValueFactory = _ => string.Join(",", PaperProbeOptions.AllHeads) };
    private readonly Option<int> _attentionHeads = new("--probe-attention-heads") { Description = $"Paper protocol: heads of the multi-head and cross-attention probes (default {Defaults.Heads}).", DefaultValueFactory = _ => Defaults.Heads };
    private readonly Option<double> _dropout = new("--probe-dropout") { Description = $"Paper protocol: dropout of the probes (default {Defaults.Dropout}).", DefaultValueFactory = _ => Defaults.Dropout };

    public IEnumerable<Option> All => [_epochs, _batch, _warmup, _startLr, _lr, _finalLr, _flat, _weightDecay, _views, _cropScale, _flip, _resize, _heads, _attentionHeads, _dropout];

    /// <summary>
    /// The settings the flags give, or a ConfigException listing every bad one. Without --probe-crop-scale the crop
    /// scale is the reference default until <see cref="ForRun"/> gives it the run's.
    /// </summary>
    public PaperProbeOptions Read(ParseResult parsed)
    {
        var options = new PaperProbeOptions
        {
            Epochs = parsed.GetValue(_epochs),
            BatchSize = parsed.GetValue(_batch),
            WarmupEpochs = parsed.GetValue(_warmup),
            StartLr = parsed.GetValue(_startLr),
            PeakLr = parsed.GetValue(_lr),
            FinalLr = parsed.GetValue(_finalLr),
            FlatFraction = parsed.GetValue(_flat),
            WeightDecay = Pair(parsed.GetValue(_weightDecay)!, "--probe-weight-decay"),
            Views = parsed.GetValue(_views),
            CropScale = parsed.GetValue(_cropScale) is { } scale ? Pair(scale, "--probe-crop-scale") : Defaults.CropScale,
            FlipP = parsed.GetValue(_flip),
            ResizeRatio = parsed.GetValue(_resize),
            ProbeHeads = parsed.GetValue(_heads)!.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries),
            Heads = parsed.GetValue(_attentionHeads),
            Dropout = parsed.GetValue(_dropout),
        };
        var problems = options.Problems().ToList();
        return problems.Count == 0 ? options : throw new ConfigException(string.Join(" ", problems));
    }

    /// <summary>The settings for a run: its own augment.crop_scale unless --probe-crop-scale was given.</summary>
    public PaperProbeOptions ForRun(PaperProbeOptions options, ParseResult parsed, RunSpec spec) =>
        parsed.GetValue(_cropScale) is null && spec.Augment?.CropScale is { } runScale ? options with { CropScale = runScale } : options;

    private static double[] Pair(string value, string flag)
    {
        var parts = value.Split(',', StringSplitOptions.TrimEntries);
        var numbers = parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : double.NaN).ToArray();
        return numbers.Length == 2 && numbers.All(double.IsFinite)
            ? numbers
            : throw new ConfigException($"{flag}: '{value}' is not two numbers A,B (e.g. {(flag == "--probe-crop-scale" ? "0.2,1" : "0.04,0.4")}).");
    }
}
