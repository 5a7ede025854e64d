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
/// </summary>
public sealed class OnlineProbe : IDisposable
{
    public const string FileName = "online-probe.bin";
    private readonly LinearHead _head;
    private readonly AdamW _optimizer;
    private readonly long[] _normShape;
    private Tensor? _correct, _seen, _lossSum;
    private long _steps;

    public OnlineProbe(long dim, int classes, Device device, double learningRate = 1e-3)
    {
        _normShape = new[] { dim };
        _head = new LinearHead(dim, classes);
        _head.to(device);
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

    public void Save(string folder) => _head.save(Path.Combine(folder, FileName));

    /// <summary>Loads the probe of a checkpoint when it has one (older checkpoints do not: the probe starts afresh).</summary>
    public void LoadIfPresent(string folder)
    {
        var file = Path.Combine(folder, FileName);
        if (File.Exists(file)) _head.load(file);
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
