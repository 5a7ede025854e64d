using System.Text.Json.Nodes;
using Scott.Lab.Runs.Sweeps;

namespace Scott.Lab.Runs.Tests.Sweeps;

public sealed class SweepPlanTests
{
    private static string Of(IReadOnlyList<JsonObject> trials) => string.Join(" | ", trials.Select(SweepPlan.Describe));

    [Fact]
    public void AGridIsTheCartesianProductWithTheFirstParameterSlowest()
    {
        var (trials, problems) = SweepPlan.Expand(
            [SweepParameter.List("optimizer.lr", 0.001, 0.003), SweepParameter.List("model.depth", 2, 4, 6)], SweepMode.Grid);
        Assert.Empty(problems);
        Assert.Equal(
            "optimizer.lr=0.001, model.depth=2 | optimizer.lr=0.001, model.depth=4 | optimizer.lr=0.001, model.depth=6 | " +
            "optimizer.lr=0.003, model.depth=2 | optimizer.lr=0.003, model.depth=4 | optimizer.lr=0.003, model.depth=6", Of(trials));
        Assert.Equal(6, SweepPlan.Count([SweepParameter.List("optimizer.lr", 0.001, 0.003), SweepParameter.List("model.depth", 2, 4, 6)], SweepMode.Grid));
    }

    [Fact]
    public void AGridRangeTakesItsStepsEvenlyOrGeometricallyAndWholeNumberRangesDropRepeats()
    {
        Assert.Equal("[0,0.25,0.5,0.75,1]", new JsonArray([.. SweepPlan.GridValues(SweepParameter.Range("k", 0, 1, steps: 5))]).ToJsonString());
        Assert.Equal("[0.0001,0.001,0.01]", new JsonArray([.. SweepPlan.GridValues(SweepParameter.Range("k", 1e-4, 1e-2, steps: 3, log: true))]).ToJsonString());
        // 1, 1.5, 2 rounded: 1, 2, 2 → the repeat goes.
        Assert.Equal("[1,2]", new JsonArray([.. SweepPlan.GridValues(SweepParameter.Range("k", 1, 2, steps: 3, integer: true))]).ToJsonString());
        // 0.1 + 0.2 style noise is rounded away.
        Assert.Equal("[0.1,0.2,0.3]", new JsonArray([.. SweepPlan.GridValues(SweepParameter.Range("k", 0.1, 0.3, steps: 3))]).ToJsonString());
    }

    [Fact]
    public void ARandomSearchIsReproducibleWithItsSeedAndStaysInItsRanges()
    {
        SweepParameter[] parameters =
        [
            SweepParameter.Range("optimizer.lr", 1e-4, 1e-2, log: true),
            SweepParameter.Range("model.dropout", 0, 0.5),
            SweepParameter.Range("model.depth", 2, 4, integer: true),
            SweepParameter.List("model.ffn", "swiglu", "mlp"),
        ];
        var (first, problems) = SweepPlan.Expand(parameters, SweepMode.Random, trials: 40, seed: 7);
        Assert.Empty(problems);
        var (again, _) = SweepPlan.Expand(parameters, SweepMode.Random, trials: 40, seed: 7);
        var (other, _) = SweepPlan.Expand(parameters, SweepMode.Random, trials: 40, seed: 8);
        Assert.Equal(Of(first), Of(again));
        Assert.NotEqual(Of(first), Of(other));
        Assert.Equal(40, first.Count);

        var lrs = first.Select(t => t["optimizer.lr"]!.GetValue<double>()).ToList();
        Assert.All(lrs, lr => Assert.InRange(lr, 1e-4, 1e-2));
        // Log-uniform: about half the draws fall below the geometric middle 1e-3 (a uniform draw would put ~9% there).
        Assert.InRange(lrs.Count(lr => lr < 1e-3), 10, 30);
        Assert.All(first, t => Assert.InRange(t["model.dropout"]!.GetValue<double>(), 0, 0.5));
        var depths = first.Select(t => t["model.depth"]!.GetValue<long>()).Distinct().Order().ToList();
        Assert.Equal([2L, 3L, 4L], depths); // both ends drawn, whole numbers only
        Assert.Equal(["mlp", "swiglu"], first.Select(t => t["model.ffn"]!.GetValue<string>()).Distinct().Order());
    }

    [Fact]
    public void AGridOverTheLimitIsRefusedNamingTheSizesAndTheLimit()
    {
        var values = Enumerable.Range(1, 9).Select(i => (JsonNode?)JsonValue.Create(i)).ToArray();
        var (trials, problems) = SweepPlan.Expand([SweepParameter.List("a.b", values), SweepParameter.List("a.c", values)], SweepMode.Grid);
        Assert.Empty(trials);
        var problem = Assert.Single(problems);
        Assert.Equal("parameters", problem.Key);
        Assert.Contains("9 × 9 = 81 trials", problem.Message);
        Assert.Contains($"limit of {SweepPlan.MaxTrials}", problem.Message);
    }

    [Theory]
    [InlineData("random", null, null, "trials", "needs the number of trials")]
    [InlineData("random", 65, null, "trials", "from 1 to 64")]
    [InlineData("grid", 4, null, "trials", "random searches only")]
    [InlineData("grid", null, "range-no-steps", "parameters.optimizer.lr", "needs steps")]
    [InlineData("random", 3, "range-steps", "parameters.optimizer.lr", "grid sweeps only")]
    [InlineData("grid", null, "log-zero", "parameters.optimizer.lr", "min > 0")]
    [InlineData("grid", null, "min-max", "parameters.optimizer.lr", "must be below max")]
    [InlineData("grid", null, "empty", "parameters.optimizer.lr", "is empty")]
    [InlineData("grid", null, "twice", "parameters.optimizer.lr", "listed twice")]
    [InlineData("grid", null, "object", "parameters.optimizer.lr", "not a single value")]
    [InlineData("grid", null, "bad-key", "parameters", "not a spec key")]
    public void BadDefinitionsAreRefusedNamingTheKeyAndTheFix(string mode, int? trials, string? kind, string key, string message)
    {
        SweepParameter parameter = kind switch
        {
            "range-no-steps" => SweepParameter.Range("optimizer.lr", 1e-4, 1e-2),
            "range-steps" => SweepParameter.Range("optimizer.lr", 1e-4, 1e-2, steps: 3),
            "log-zero" => SweepParameter.Range("optimizer.lr", 0, 1e-2, steps: 3, log: true),
            "min-max" => SweepParameter.Range("optimizer.lr", 1, 1, steps: 3),
            "empty" => SweepParameter.List("optimizer.lr"),
            "twice" => SweepParameter.List("optimizer.lr", 0.1, 0.1),
            "object" => SweepParameter.List("optimizer.lr", new JsonObject { ["a"] = 1 }),
            "bad-key" => SweepParameter.List("optimizer..lr", 0.1),
            _ => SweepParameter.List("optimizer.lr", 0.1, 0.2),
        };
        var (expanded, problems) = SweepPlan.Expand([parameter], Enum.Parse<SweepMode>(mode, ignoreCase: true), trials);
        Assert.Empty(expanded);
        Assert.Contains(problems, p => p.Key == key && p.Message.Contains(message));
        Assert.Null(SweepPlan.Count([parameter], Enum.Parse<SweepMode>(mode, ignoreCase: true), trials));
    }

    [Fact]
    public void ASweepWithoutParametersOrWithAKeyTwiceIsRefused()
    {
        Assert.Contains(SweepPlan.Expand([], SweepMode.Grid).Problems, p => p.Key == "parameters" && p.Message.Contains("at least one key"));
        Assert.Contains(SweepPlan.Expand([SweepParameter.List("model.depth", 2), SweepParameter.List("model.depth", 4)], SweepMode.Grid).Problems,
            p => p.Key == "parameters.model.depth" && p.Message.Contains("swept twice"));
    }
}

public sealed class SweepStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("scott-lab-sweeps-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void ASweepAndItsRunsSurviveReopeningTheStore()
    {
        string sweepId;
        using (var store = new RunStore(_dir))
        {
            var sweep = store.CreateSweep(new SweepRecord
            {
                Name = "lr-depth",
                Mode = SweepMode.Random,
                Trials = 2,
                Seed = 3,
                Parameters = [SweepParameter.List("model.ffn", "swiglu", "mlp"), SweepParameter.Range("optimizer.lr", 1e-4, 1e-2, log: true)],
            });
            sweepId = sweep.Id;
            Assert.StartsWith("sweep-", sweepId);
            var a = store.Create(new RunRecord { Name = "lr-depth-1", SweepId = sweepId });
            store.Create(new RunRecord { Name = "alone" });
            var b = store.Create(new RunRecord { Name = "lr-depth-2", SweepId = sweepId });
            store.UpdateSweep(sweepId, s => s.TrialRuns =
            [
                new SweepTrial { Index = 1, RunId = a.Id, Values = new JsonObject { ["model.ffn"] = "mlp", ["optimizer.lr"] = 0.002 } },
                new SweepTrial { Index = 2, RunId = b.Id, Values = new JsonObject { ["model.ffn"] = "swiglu", ["optimizer.lr"] = 0.0003 } },
            ]);
        }
        using var reopened = new RunStore(_dir);
        var stored = reopened.GetSweep(sweepId)!;
        Assert.Equal(SweepMode.Random, stored.Mode);
        Assert.Equal("[\"swiglu\",\"mlp\"]", stored.Parameters[0].Values!.ToJsonString());
        Assert.True(stored.Parameters[1].IsRange);
        Assert.True(stored.Parameters[1].Log);
        Assert.Equal(0.002, stored.TrialRuns[0].Values["optimizer.lr"]!.GetValue<double>());
        Assert.Equal(["lr-depth-1", "lr-depth-2"], reopened.RunsOfSweep(sweepId).Select(r => r.Name));
        Assert.Equal(stored.RunIds, reopened.RunsOfSweep(sweepId).Select(r => r.Id));
        Assert.Empty(reopened.RunsOfSweep("sweep-none"));
        Assert.Equal(sweepId, Assert.Single(reopened.ListSweeps()).Id);
    }
}
