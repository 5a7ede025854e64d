using System.Text.Json;
using Scott.Lab.Engine.Evaluation;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace Scott.Lab.Engine.Training;

/// <summary>
/// The online linear probe (solo-learn style): a non-affine LayerNorm and a linear classifier on the objective's
/// detached per-image features, updated every step with its own AdamW on the labelled images of the batch.
/// It never sends gradients into the encoder, so it only watches. Accuracy is measured on each batch before the
/// probe learns from it, and accumulated until it is read.
/// <para>
/// A checkpoint holds all of its state: the head's weights (<see cref="FileName"/>), its optimiser's moments and step
/// count (<see cref="OptimizerFileName"/>), and the accuracy and loss accumulated since the last read
/// (<see cref="TallyFileName"/>; a checkpoint need not fall on a logging step). So a resumed run logs the same
/// <c>online_probe/*</c> values as a run that never stopped.
/// </para>
/// </summary>
public sealed class OnlineProbe : IDisposable
{
    public const string FileName = "online-probe.bin";
    public const string OptimizerFileName = "online-probe-optimizer.bin";
    public const string TallyFileName = "online-probe-tally.json";
    private readonly LinearHead _head;
    private readonly Device _device;
    private readonly AdamW _optimizer;
    private readonly long[] _normShape;
    private Tensor? _correct, _seen, _lossSum;
    private long _steps;

    public OnlineProbe(long dim, int classes, Device device, double learningRate = 1e-3)
    {
        _normShape = new[] { dim };
        _head = new LinearHead(dim, classes);
        _head.to(device);
        _device = device;
        _optimizer = optim.AdamW(_head.parameters(), lr: learningRate, weight_decay: 0);
    }

    public void Update(Tensor features, Tensor labels)
    {
        using var scope = NewDisposeScope();
        var labelled = labels.ge(0).nonzero().squeeze(1);
        if (labelled.shape[0] == 0) return;
        var x = F.layer_norm(features.detach().index_select(0, labelled), _normShape);
        var y = labels.index_select(0, labelled);
        _head.train();
        _optimizer.zero_grad();
        var logits = _head.forward(x);
        var loss = F.cross_entropy(logits, y);
        loss.backward();
        _optimizer.step();
        Accumulate(ref _correct, logits.argmax(1).eq(y).sum().to(float64));
        Accumulate(ref _seen, tensor((double)y.shape[0], float64, y.device));
        Accumulate(ref _lossSum, loss.detach().to(float64));
        _steps++;
    }

    /// <summary>Accuracy and loss since the last read (empty when no labelled image was seen), then resets.</summary>
    public IReadOnlyDictionary<string, double> ReadAndReset()
    {
        var metrics = new Dictionary<string, double>();
        if (_seen is not null && _correct is not null && _lossSum is not null)
        {
            metrics["online_probe/acc"] = _correct.item<double>() / _seen.item<double>();
            metrics["online_probe/loss"] = _lossSum.item<double>() / _steps;
        }
        foreach (var t in new[] { _correct, _seen, _lossSum }) t?.Dispose();
        (_correct, _seen, _lossSum, _steps) = (null, null, null, 0);
        return metrics;
    }

    /// <summary>Writes the probe's whole state into a checkpoint folder.</summary>
    public void Save(string folder)
    {
        _head.save(Path.Combine(folder, FileName));
        _optimizer.save_state_dict(Path.Combine(folder, OptimizerFileName));
        var tally = _seen is null ? new ProbeTally(0, 0, 0, 0)
            : new ProbeTally(_correct!.item<double>(), _seen.item<double>(), _lossSum!.item<double>(), _steps);
        File.WriteAllText(Path.Combine(folder, TallyFileName), JsonSerializer.Serialize(tally));
    }

    /// <summary>
    /// Loads what a checkpoint holds of the probe. Older checkpoints have only the weights (the optimiser and the
    /// tally then start afresh) or nothing (the probe starts afresh).
    /// </summary>
    public void LoadIfPresent(string folder)
    {
        var file = Path.Combine(folder, FileName);
        if (File.Exists(file)) _head.load(file);
        var optimizer = Path.Combine(folder, OptimizerFileName);
        if (File.Exists(optimizer)) _optimizer.load_state_dict(optimizer);
        var tallyFile = Path.Combine(folder, TallyFileName);
        if (File.Exists(tallyFile) && JsonSerializer.Deserialize<ProbeTally>(File.ReadAllText(tallyFile)) is { Steps: > 0 } tally)
        {
            ReadAndReset();
            _correct = Detached(tensor(tally.Correct, float64, _device));
            _seen = Detached(tensor(tally.Seen, float64, _device));
            _lossSum = Detached(tensor(tally.LossSum, float64, _device));
            _steps = tally.Steps;
        }
    }

    /// <summary>What the probe accumulated since its last read (float64 sums: JSON keeps them exactly).</summary>
    private sealed record ProbeTally(double Correct, double Seen, double LossSum, long Steps);

    private static Tensor Detached(Tensor t)
    {
        t.DetachFromDisposeScope();
        return t;
    }

    private static void Accumulate(ref Tensor? total, Tensor value)
    {
        var next = total is null ? value.detach().clone() : total + value;
        next.DetachFromDisposeScope();
        total?.Dispose();
        total = next;
    }

    public void Dispose()
    {
        ReadAndReset();
        _optimizer.Dispose();
        _head.Dispose();
    }
}
