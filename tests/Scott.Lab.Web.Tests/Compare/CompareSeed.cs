using Microsoft.Extensions.DependencyInjection;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Snapshots;
using Scott.Lab.Web.Features.Compare;

namespace Scott.Lab.Web.Tests.Compare;

public static class CompareTestServices
{
    /// <summary>What the comparison pages need beyond PortalComponentTest's services (the portal registers the same).</summary>
    public static IServiceCollection AddCompare(this IServiceCollection services, RunStore store) =>
        services.AddLogging().AddSingleton(new SnapshotStore(store)).AddSingleton<CompareService>();
}

/// <summary>Finished runs written straight into a store (no training): record, metrics rows and evaluations.</summary>
public static class CompareSeed
{
    /// <summary>Rows at steps 10, 20, ... (numbered by steps done, as a worker logs them).</summary>
    public static RunRecord FinishedRun(RunStore store, string name, int width, double linearTop1, int points = 30, double lr = 0.001)
    {
        var run = store.Create(new RunRecord
        {
            Name = name, Status = RunStatus.Completed, Dataset = "fashion-mnist-sample", Tokenizer = "scott", Objective = "mim-jepa",
            TotalSteps = points * 10, Step = points * 10, Device = "cpu", GitCommit = "abc123",
            Libraries = new Dictionary<string, string> { ["TorchSharp"] = "0.107.0" },
            Plugins = [new PluginRef { Kind = "tokenizer", Id = "scott", Version = "1.0.0", Sha256 = new string('b', 64) }],
            Spec = Scott.Lab.Engine.Config.ConfigLoader.ParseTree($"name: {name}\nmodel:\n  width: {width}\n  depth: 2\noptimizer:\n  lr: {lr}\ntrainer:\n  epochs: 3\n  batch_size: 64\n", "seed spec"),
        });
        store.AppendMetricRows(run.Id, Enumerable.Range(0, points).Select(i => ((long)((i + 1) * 10), (IReadOnlyDictionary<string, double>)new Dictionary<string, double>
        {
            ["loss"] = 2.0 / (1 + i) + width / 1000.0,
            ["lr"] = lr * (1 - i / (double)points),
            ["wall_seconds"] = i * 0.5,
        })));
        store.AddEvaluation(new EvaluationRecord { RunId = run.Id, Protocol = "linear", Top1 = linearTop1, Top5 = 0.99, MeanPerClass = linearTop1 - 0.01 });
        store.AddEvaluation(new EvaluationRecord { RunId = run.Id, Protocol = "knn", Top1 = linearTop1 - 0.05, Top5 = 0.98, MeanPerClass = linearTop1 - 0.06 });
        return run;
    }
}
