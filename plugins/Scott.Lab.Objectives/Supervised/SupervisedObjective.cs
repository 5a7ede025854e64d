using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Objectives.Supervised;

/// <summary>
/// The supervised-from-scratch baseline: the run's encoder, trained end to end with labels through a head on its
/// mean-pooled tokens (LayerNorm, then Linear) and cross-entropy. The host feeds it labelled training images only.
/// </summary>
public sealed class SupervisedObjective : ObjectiveModule
{
    private readonly EncoderModule encoder;
    private readonly LayerNorm norm;
    private readonly Linear classifier;
    private readonly SupervisedOptions _options;
    private readonly long _classes;

    public SupervisedObjective(SupervisedOptions options, ObjectiveContext context) : base("Supervised")
    {
        if (context.NumClasses < 2)
            throw new ArgumentException($"the supervised objective needs a labelled dataset with at least 2 classes (this one has {context.NumClasses}).");
        _options = options;
        _classes = context.NumClasses;
        encoder = context.Models.CreateEncoder();
        norm = nn.LayerNorm(encoder.EmbedDim);
        classifier = nn.Linear(encoder.EmbedDim, context.NumClasses);
        using (no_grad())
        {
            WeightInit.TruncatedNormal_(classifier.weight!, 0.02);
            nn.init.zeros_(classifier.bias!);
        }
        RegisterComponents();
    }

    public override EncoderModule Encoder => encoder;
    public override ViewRequest Views => new(1, SharedGeometry: false);

    public override long TrainFlopsPerImage => 3 * (encoder.ForwardFlopsPerImage + 2L * encoder.EmbedDim * _classes);

    public override ObjectiveOutput Forward(TrainingBatch batch, StepInfo step)
    {
        var labels = batch.Labels ?? throw new InvalidOperationException("The supervised objective got a batch without labels.");
        if (labels.lt(0).any().item<bool>())
            throw new InvalidOperationException("The supervised objective got unlabelled images; the host must feed it labelled training images only.");
        var pooled = encoder.forward(batch.Views[0], null).mean(new long[] { 1 });
        var logits = classifier.forward(norm.forward(pooled));
        var loss = F.cross_entropy(logits, labels, label_smoothing: _options.LabelSmoothing);
        var metrics = new Dictionary<string, Tensor> { ["train/acc"] = logits.argmax(1).eq(labels).to(float32).mean() };
        return new ObjectiveOutput(loss, metrics) { Features = pooled.detach() };
    }
}
