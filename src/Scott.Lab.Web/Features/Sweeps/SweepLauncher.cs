using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Sweeps;
using Scott.Lab.Web.Features.Sessions;

namespace Scott.Lab.Web.Features.Sweeps;

/// <summary>What to sweep and how: the parameters, grid or random (with its number of trials and seed).</summary>
public sealed record SweepDefinition(IReadOnlyList<SweepParameter> Parameters, SweepMode Mode, int? Trials = null, int? Seed = null)
{
    /// <summary>The number of trials, or null while the definition has problems.</summary>
    public int? Count => SweepPlan.Count(Parameters, Mode, Trials);
}

/// <summary>The queued sweep, or why nothing was queued.</summary>
public sealed record SweepLaunchResult(SweepRecord? Sweep, IReadOnlyList<SpecProblem> Errors)
{
    public bool Succeeded => Sweep is not null && Errors.Count == 0;
}

/// <summary>
/// Queues a sweep: expands it (<see cref="SweepPlan"/>), builds each trial's spec from the base spec, checks every
/// trial as <see cref="IRunLauncher.Launch(JsonObject, string, LaunchOptions?)"/> would (<see cref="IRunLauncher.Check"/>:
/// the spec's bind, executor, device, name) and queues nothing unless all pass. Then it stores the sweep and
/// launches its runs, in trial order, each carrying the sweep's id. Used by the New experiment form, POST
/// /api/sweeps and (through that API) `scott-lab sweep-launch`.
/// </summary>
public sealed class SweepLauncher(IRunLauncher launcher, RunStore store)
{
    public SweepLaunchResult Launch(JsonObject baseSpec, SweepDefinition definition, string source = "portal", LaunchOptions? launch = null)
    {
        var (trials, planProblems) = SweepPlan.Expand(definition.Parameters, definition.Mode, definition.Trials, definition.Seed);
        if (planProblems.Count > 0) return new SweepLaunchResult(null, planProblems.Select(p => new SpecProblem(p.Key, p.Message)).ToList());

        string baseName = string.IsNullOrWhiteSpace(baseSpec["name"]?.ToString()) ? "sweep" : baseSpec["name"]!.ToString().Trim();
        var specs = trials.Select((trial, i) => TrialSpec(baseSpec, trial, $"{baseName}-{i + 1}")).ToList();
        var problems = CheckAll(specs, trials, launch);
        if (problems.Count > 0) return new SweepLaunchResult(null, problems);

        var sweep = store.CreateSweep(new SweepRecord
        {
            Name = baseName,
            Mode = definition.Mode,
            Trials = definition.Mode == SweepMode.Random ? definition.Trials : null,
            Seed = definition.Mode == SweepMode.Random ? definition.Seed ?? 0 : null,
            Parameters = definition.Parameters.ToList(),
            TrialRuns = trials.Select((trial, i) => new SweepTrial { Index = i + 1, Values = (JsonObject)trial.DeepClone() }).ToList(),
            Source = source,
        });
        var runIds = new string?[specs.Count];
        var late = new List<string>();
        var options = (launch ?? new LaunchOptions(null)) with { SweepId = sweep.Id };
        for (int i = 0; i < specs.Count; i++)
        {
            // Every trial passed the same checks a moment ago; a refusal now (a plugin removed meanwhile, sbatch failing)
            // is recorded on the sweep and the other trials still run.
            var result = launcher.Launch(specs[i], source, options);
            runIds[i] = result.Run?.Id;
            if (result.Errors.Count > 0)
                late.Add($"trial {i + 1} ({SweepPlan.Describe(trials[i])}): {string.Join("; ", result.Errors.Select(e => $"{e.Key}: {e.Message}"))}");
        }
        sweep = store.UpdateSweep(sweep.Id, s =>
        {
            for (int i = 0; i < s.TrialRuns.Count; i++) s.TrialRuns[i].RunId = runIds[i];
            s.Problems = late;
        })!;
        return new SweepLaunchResult(sweep, []);
    }

    /// <summary>The base spec with the trial's values set at their dotted keys, named <paramref name="name"/>.</summary>
    public static JsonObject TrialSpec(JsonObject baseSpec, JsonObject trial, string name)
    {
        var spec = (JsonObject)baseSpec.DeepClone();
        spec["name"] = name;
        foreach (var (key, value) in trial)
        {
            string[] parts = key.Split('.');
            JsonObject node = spec;
            foreach (string part in parts[..^1])
            {
                if (node[part] is not JsonObject child) node[part] = child = new JsonObject();
                node = child;
            }
            node[parts[^1]] = value?.DeepClone();
        }
        return spec;
    }

    /// <summary>
    /// Every trial's problems. One that every trial has (the base spec's own) is reported once, as for a single run;
    /// the others name their trial and its values, e.g. "trial 3 of 4 (optimizer.lr=20, model.depth=2): must be ...".
    /// </summary>
    private List<SpecProblem> CheckAll(IReadOnlyList<JsonObject> specs, IReadOnlyList<JsonObject> trials, LaunchOptions? launch)
    {
        var perTrial = specs.Select(spec => launcher.Check(spec, launch)).ToList();
        if (specs.Count == 1) return perTrial[0].ToList();
        var shared = perTrial.Skip(1).Aggregate(perTrial[0].ToHashSet(), (common, next) => { common.IntersectWith(next); return common; });
        var problems = perTrial[0].Where(shared.Contains).ToList(); // in the binder's order
        for (int i = 0; i < perTrial.Count; i++)
            foreach (var problem in perTrial[i].Where(p => !shared.Contains(p)))
                problems.Add(new SpecProblem(problem.Key, $"trial {i + 1} of {specs.Count} ({SweepPlan.Describe(trials[i])}): {problem.Message}"));
        return problems;
    }
}
