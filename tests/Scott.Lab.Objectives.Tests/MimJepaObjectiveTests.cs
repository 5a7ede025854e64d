using Scott.Lab.Tests.Shared;
using Scott.Lab.Abstractions.Masking;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Engine.Models;
using Scott.Lab.Engine.Training;
using Scott.Lab.Objectives.MimJepa;
using TorchSharp;
using static TorchSharp.torch;

namespace Scott.Lab.Objectives.Tests;

public class MimJepaObjectiveTests
{
    private const int ImageSize = 16, Channels = 3, Width = 32, BatchSize = 4, TotalSteps = 11;

    private static readonly ModelOptions Model = new()
    {
        ImageSize = ImageSize, Width = Width, Depth = 2, Heads = 2, Ffn = "swiglu",
        Dropout = 0, AttnDropout = 0, DropPath = 0,
    };

    private static ModelFactory Factory() => new(() => new TinyPatchTokenizer(ImageSize, Channels, 4, Width, applyMask: true, bias: true), Model);

    private static MimJepaObjective Create(double emaStart = 0.9, int seed = 5)
    {
        manual_seed(seed);
        var options = new MimJepaOptions { MaskRatio = 0.5, MaskMode = MaskMode.Uniform, PredictorDepth = 1, EmaStart = emaStart, EmaEnd = 1.0 };
        return new MimJepaObjective(options, new ObjectiveContext(Factory(), TotalSteps, NumClasses: 0, Seed: seed));
    }

    private static TrainingBatch Batch(int seed)
    {
        var generator = new Generator((ulong)seed);
        var context = randn(new long[] { BatchSize, Channels, ImageSize, ImageSize }, generator: generator);
        var target = context + 0.1 * randn(new long[] { BatchSize, Channels, ImageSize, ImageSize }, generator: generator);
        return new TrainingBatch([context, target], null);
    }

    private static Dictionary<string, Tensor> Params(nn.Module module, string prefix) =>
        module.named_parameters().Where(p => p.name.StartsWith(prefix + ".", StringComparison.Ordinal))
            .ToDictionary(p => p.name[(prefix.Length + 1)..], p => p.parameter.detach().clone());

    private static double MaxAbs(Tensor t) => t.abs().max().item<float>();

    [Fact]
    public void Registers_context_and_target_encoders_predictor_and_head()
    {
        using var objective = Create();
        var prefixes = objective.named_parameters().Select(p => p.name.Split('.')[0]).Distinct().OrderBy(n => n);
        Assert.Equal(new[] { "context_encoder", "predictor", "predictor_head", "target_encoder" }, prefixes);
        Assert.Same(objective.Encoder, objective.named_children().Single(c => c.name == "context_encoder").module);
        Assert.Equal(new ViewRequest(2, SharedGeometry: true), objective.Views);
        // Head: SiLU → LayerNorm(D, affine) → Linear(D, D).
        var head = Params(objective, "predictor_head");
        Assert.Equal(new[] { "1.bias", "1.weight", "2.bias", "2.weight" }, head.Keys.OrderBy(k => k));
        Assert.Equal(new long[] { Width, Width }, head["2.weight"].shape);
        Assert.Equal(new long[] { Width }, head["1.weight"].shape);
    }

    [Fact]
    public void Target_starts_equal_to_the_context_encoder_and_is_frozen()
    {
        using var objective = Create();
        var context = Params(objective, "context_encoder");
        var target = Params(objective, "target_encoder");
        Assert.Equal(context.Keys.OrderBy(k => k), target.Keys.OrderBy(k => k));
        Assert.NotEmpty(context);
        foreach (var (name, value) in context) Assert.True(value.eq(target[name]).all().item<bool>(), name);
        Assert.All(objective.named_parameters().Where(p => p.name.StartsWith("target_encoder.")), p => Assert.False(p.parameter.requires_grad));
        Assert.All(objective.named_parameters().Where(p => !p.name.StartsWith("target_encoder.")), p => Assert.True(p.parameter.requires_grad, p.name));
    }

    [Fact]
    public void Forward_returns_a_finite_scalar_loss_and_metrics()
    {
        using var objective = Create();
        objective.train();
        var output = objective.Forward(Batch(1), new StepInfo(0, TotalSteps));
        Assert.Equal(0, output.Loss.dim());
        float loss = output.Loss.item<float>();
        Assert.True(float.IsFinite(loss) && loss > 0, $"loss {loss}");
        Assert.Equal(0.5, output.Metrics["mask/visible_fraction"].item<float>(), 1e-6);
        Assert.True(float.IsFinite(output.Metrics["target/std"].item<float>()));
    }

    [Fact]
    public void Backward_reaches_context_encoder_predictor_and_head_but_not_the_target()
    {
        using var objective = Create();
        objective.train();
        objective.Forward(Batch(2), new StepInfo(0, TotalSteps)).Loss.backward();

        foreach (var (name, parameter) in objective.named_parameters())
        {
            if (name.StartsWith("target_encoder.", StringComparison.Ordinal))
            {
                Assert.False(parameter.requires_grad, name);
                Assert.True(parameter.grad is null, $"{name} must have no gradient");
            }
            else
            {
                Assert.True(parameter.grad is not null, $"{name} has no gradient");
                Assert.True(MaxAbs(parameter.grad!) > 0, $"{name} has an all-zero gradient");
            }
        }
    }

    [Fact]
    public void Optimizer_sees_no_target_parameter()
    {
        using var objective = Create();
        var (optimizer, decay, noDecay) = OptimizerFactory.Create(objective, new Scott.Lab.Engine.Config.OptimizerOptions());
        var target = objective.named_parameters().Where(p => p.name.StartsWith("target_encoder.")).Select(p => p.parameter.Handle).ToHashSet();
        var optimised = decay.Parameters.Concat(noDecay.Parameters).Select(p => p.Handle).ToList();
        Assert.DoesNotContain(optimised, target.Contains);
        Assert.Equal(objective.parameters().Count(p => p.requires_grad), optimised.Count);
        optimizer.Dispose();
    }

    [Fact]
    public void AfterOptimizerStep_moves_the_target_towards_the_context_encoder_by_the_EMA_formula()
    {
        using var objective = Create(emaStart: 0.9);
        using (no_grad())
            foreach (var (name, parameter) in objective.named_parameters())
                if (name.StartsWith("context_encoder.")) parameter.add_(randn_like(parameter) * 0.1);
        var context = Params(objective, "context_encoder");
        var before = Params(objective, "target_encoder");
        Assert.Contains(context, kv => MaxAbs(kv.Value - before[kv.Key]) > 1e-3);

        // Momentum rises linearly from 0.9 at step 0 to 1.0 at step 10: step 3 → 0.93.
        objective.AfterOptimizerStep(new StepInfo(3, TotalSteps));

        var after = Params(objective, "target_encoder");
        foreach (var (name, value) in after)
        {
            var expected = before[name] * 0.93 + context[name] * 0.07;
            Assert.True(MaxAbs(value - expected) < 1e-6, name);
        }
        // The context encoder itself is untouched.
        foreach (var (name, value) in Params(objective, "context_encoder")) Assert.True(MaxAbs(value - context[name]) == 0, name);

        // At the last step the momentum is 1: the target stays put.
        objective.AfterOptimizerStep(new StepInfo(TotalSteps - 1, TotalSteps));
        foreach (var (name, value) in Params(objective, "target_encoder")) Assert.True(MaxAbs(value - after[name]) == 0, name);
    }

    [Fact]
    public void One_training_step_moves_every_trained_parameter_and_the_target_follows()
    {
        using var objective = Create(emaStart: 0.5);
        objective.train();
        var options = new Scott.Lab.Engine.Config.OptimizerOptions { Lr = 1e-2, WeightDecay = [0, 0] };
        var (optimizer, _, _) = OptimizerFactory.Create(objective, options);
        var before = objective.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

        optimizer.zero_grad();
        objective.Forward(Batch(3), new StepInfo(0, TotalSteps)).Loss.backward();
        foreach (var (name, parameter) in objective.named_parameters().Where(p => p.parameter.requires_grad))
            Assert.True(MaxAbs(parameter.grad!) > 1e-7, $"{name}: vanishing gradient {MaxAbs(parameter.grad!)}");
        optimizer.step();

        // Adam's first step moves each weight by about lr where the gradient is well above eps.
        foreach (var (name, parameter) in objective.named_parameters())
        {
            double moved = MaxAbs(parameter.detach() - before[name]);
            if (name.StartsWith("target_encoder.")) Assert.Equal(0, moved);
            else Assert.True(moved > 1e-3, $"{name} moved only {moved}");
        }

        objective.AfterOptimizerStep(new StepInfo(0, TotalSteps));
        var context = Params(objective, "context_encoder");
        foreach (var (name, value) in Params(objective, "target_encoder"))
            Assert.True(MaxAbs(value - (before["target_encoder." + name] * 0.5 + context[name] * 0.5)) < 1e-6, name);
        optimizer.Dispose();
    }

    [Fact]
    public void Masks_are_a_function_of_seed_and_step()
    {
        using var objective = Create();
        objective.eval();
        using var _ = no_grad();
        var batch = Batch(4);
        float a = objective.Forward(batch, new StepInfo(7, TotalSteps)).Loss.item<float>();
        float b = objective.Forward(batch, new StepInfo(3, TotalSteps)).Loss.item<float>();
        float c = objective.Forward(batch, new StepInfo(7, TotalSteps)).Loss.item<float>();
        Assert.Equal(a, c);
        Assert.NotEqual(a, b);
    }

    [Fact]
    public void Train_flops_count_target_forward_once_and_trained_modules_three_times()
    {
        using var objective = Create();
        var factory = Factory();
        using var encoder = factory.CreateEncoder();
        using var predictor = factory.CreateTransformer(1, addPositionEmbedding: true);
        long head = 2L * 16 * Width * Width;
        Assert.Equal(encoder.ForwardFlopsPerImage + 3 * (encoder.ForwardFlopsPerImage + predictor.ForwardFlopsPerImage + head),
            objective.TrainFlopsPerImage);
    }

    [Fact]
    public void Predictor_head_linear_is_trunc_normal_002_and_bias_zero()
    {
        using var objective = Create();
        var head = Params(objective, "predictor_head");
        Assert.InRange(head["2.weight"].std().item<float>(), 0.017, 0.023);
        Assert.InRange(Math.Abs(head["2.weight"].mean().item<float>()), 0, 0.004);
        Assert.Equal(0, MaxAbs(head["2.bias"]));
    }
}

public class MimJepaPredictorDropoutTests
{
    private const int ImageSize = 16, Channels = 3, Width = 32;

    private static ModelFactory Factory(double modelDropout) =>
        new(() => new TinyPatchTokenizer(ImageSize, Channels, 4, Width, applyMask: true, bias: true),
            new ModelOptions { ImageSize = ImageSize, Width = Width, Depth = 1, Heads = 2, Dropout = modelDropout, AttnDropout = 0, DropPath = 0 });

    private static TransformerModule Predictor(MimJepaObjective objective) =>
        (TransformerModule)objective.named_children().Single(c => c.name == "predictor").module;

    private static MimJepaObjective Create(double? predictorDropout, double modelDropout = 0)
    {
        manual_seed(7);
        var options = new MimJepaOptions { PredictorDepth = 1, PredictorDropout = predictorDropout };
        return new MimJepaObjective(options, new ObjectiveContext(Factory(modelDropout), 10, NumClasses: 0, Seed: 7));
    }

    [Fact]
    public void The_predictor_drops_out_after_re_adding_positions_only_while_training()
    {
        using var objective = Create(predictorDropout: 0.5);
        var predictor = Predictor(objective);
        var tokens = randn(2, 16, Width);
        predictor.train();
        var first = predictor.forward(tokens);
        var second = predictor.forward(tokens);
        Assert.False(first.allclose(second), "training: dropout must change the output from one pass to the next");
        predictor.eval();
        var evaluated = predictor.forward(tokens);
        Assert.True(TensorAssert.Same(evaluated, predictor.forward(tokens)));

        // In eval mode it is exactly the predictor without dropout (same weights): dropout is the only difference.
        using var plain = Create(predictorDropout: 0);
        var plainPredictor = Predictor(plain);
        plainPredictor.load_state_dict(predictor.state_dict());
        plainPredictor.train(); // no dropout anywhere in it (model.dropout 0), so training mode is deterministic
        Assert.True(evaluated.allclose(plainPredictor.forward(tokens), rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void By_default_the_predictor_uses_the_models_dropout_as_the_reference_does()
    {
        Assert.Null(new MimJepaOptions().PredictorDropout);
        Assert.Equal(0.3, ((TransformerStack)Factory(0.3).CreateTransformer(1, positionDropout: null)).PositionDropout);
        Assert.Equal(0.1, ((TransformerStack)Factory(0.3).CreateTransformer(1, positionDropout: 0.1)).PositionDropout);
        // The MAE decoder's stack (positions, no dropout) is unchanged.
        Assert.Equal(0.0, ((TransformerStack)Factory(0.3).CreateTransformer(1, addPositionEmbedding: true)).PositionDropout);
        using var objective = Create(predictorDropout: null, modelDropout: 0.25);
        Assert.Equal(0.25, ((TransformerStack)Predictor(objective)).PositionDropout);
    }
}
