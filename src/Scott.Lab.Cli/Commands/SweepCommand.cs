using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Data;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Training;
using Scott.Lab.Plugins;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab sweep --config C --objectives a,b,c --minutes M --out DIR [--labels-per-class N] [--set k=v]...</c>:
/// the method table under equal compute. Every objective trains the preset's backbone for the same wall-clock budget
/// (trainer.max_minutes) in its own <c>scott-lab train</c> process, so that its peak memory can be read alone; then
/// its frozen encoder is probed with the same protocol (linear + kNN, all labels and N per class).
/// </summary>
public static class SweepCommand
{
    /// <summary>
    /// What every method gets besides the budget: a constant learning rate (the preset's peak) and a nominal length
    /// that no budget reaches, so that no method is cut in the middle of a decay that another finished. EMA and
    /// weight-decay schedules that span the nominal length then stay at their start values.
    /// </summary>
    public static readonly string[] EqualComputeOverrides = ["optimizer.schedule=constant", "trainer.steps=1000000"];

    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var config = new Option<string>("--config") { Description = "Preset every method starts from (its backbone, data and batch size).", Required = true };
        var objectives = new Option<string>("--objectives") { Description = "Comma-separated objective ids, e.g. mim-jepa,mae,simclr,vicreg,byol,supervised.", Required = true };
        var minutes = new Option<double>("--minutes") { Description = "Training wall-clock budget per method (trainer.max_minutes).", Required = true };
        var output = new Option<string>("--out") { Description = "Folder for the runs (<out>/<objective>/), method-table.md and sweep.json.", Required = true };
        var labels = new Option<int>("--labels-per-class") { Description = "The low-label budget of the evaluation, and the labels the supervised baseline trains on.", DefaultValueFactory = _ => 100 };
        var skipAll = new Option<bool>("--skip-all-labels") { Description = "Evaluate with the low-label budget only (the all-labels features of a large dataset take minutes per method)." };
        var set = new Option<string[]>("--set") { Description = "Override a config key for every method (after the sweep's own overrides), e.g. --set trainer.batch_size=128." };
        var linearEpochs = new Option<int>("--linear-epochs") { Description = "Linear-probe epochs.", DefaultValueFactory = _ => 30 };
        var minSteps = new Option<int>("--min-steps") { Description = "Fewest optimiser steps of a linear probe (small label budgets).", DefaultValueFactory = _ => 1500 };
        var seed = new Option<int>("--seed") { Description = "Seed of the validation split, the label draw (also the supervised baseline's) and the probes.", DefaultValueFactory = _ => 0 };
        var objectiveAugment = new Option<bool>("--objective-augment")
        {
            Description = "Train each objective with its own augmentation recipe where the preset sets none. Default: every method gets the preset's augment section (host defaults filled in), so the table compares objectives, not recipes.",
        };
        var command = new Command("sweep", "Train several objectives under the same wall-clock budget and probe them alike; writes a method table.")
            { config, objectives, minutes, output, labels, skipAll, set, linearEpochs, minSteps, seed, objectiveAugment };
        command.SetAction(parsed =>
        {
            var ids = (parsed.GetValue(objectives) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToList();
            if (ids.Count == 0) throw new ConfigException("--objectives: give at least one objective id, e.g. --objectives mim-jepa,simclr");
            if (ids.Distinct().Count() != ids.Count) throw new ConfigException($"--objectives: '{ids.GroupBy(i => i).First(g => g.Count() > 1).Key}' is listed twice.");
            double budget = parsed.GetValue(minutes);
            if (!(budget > 0)) throw new ConfigException($"--minutes: must be positive, got {budget.ToString(CultureInfo.InvariantCulture)}");
            int perClass = parsed.GetValue(labels);
            if (perClass <= 0) throw new ConfigException($"--labels-per-class: must be positive, got {perClass}");

            // Every id must name a loaded objective before an hour of training starts.
            var catalog = CliApp.LoadCatalog(parsed);
            var plugins = ids.Select(id => catalog.Resolve<IObjectivePlugin>(id, "--objectives")).ToList();
            string configPath = Path.GetFullPath(CliApp.FindConfig(parsed.GetValue(config)!));
            var settings = new SweepSettings(configPath, budget, perClass, !parsed.GetValue(skipAll), (parsed.GetValue(set) ?? []).ToList(),
                parsed.GetValue(linearEpochs), Math.Max(0, parsed.GetValue(minSteps)), parsed.GetValue(seed), parsed.GetValue(objectiveAugment));
            // The bound config is checked once up front (with the first objective), so a bad --set fails now.
            RunSpecBinder.BindOrThrow(ConfigLoader.LoadTree(configPath, TrainOverrides(settings, plugins[0])), catalog);

            string outDir = Path.GetFullPath(parsed.GetValue(output)!);
            Directory.CreateDirectory(outDir);
            var rows = new List<SweepRow>();
            foreach (var plugin in plugins)
            {
                var row = Train(parsed, settings, plugin, Path.Combine(outDir, plugin.Id), stderr);
                if (row.Error is null) row = Evaluate(parsed, settings, row, stderr);
                rows.Add(row);
                Write(outDir, settings, rows); // after every method, so a long sweep shows its progress
            }
            stdout.Write(MethodTable(settings, rows));
            stdout.WriteLine($"table: {Path.Combine(outDir, "method-table.md")}, data: {Path.Combine(outDir, "sweep.json")}");
            return rows.All(r => r.Error is null) ? 0 : CliApp.ExitFailure;
        });
        return command;
    }

    /// <summary>The sweep's settings, as sweep.json records them.</summary>
    public sealed record SweepSettings(string Config, double Minutes, int LabelsPerClass, bool AllLabels, IReadOnlyList<string> Overrides,
        int LinearEpochs, int MinSteps, int Seed, bool ObjectiveAugment = false);

    /// <summary>One method's line of the table. Accuracies are test top-1 in [0, 1]; null where not measured.</summary>
    public sealed record SweepRow
    {
        public required string Objective { get; init; }
        public required string RunDir { get; init; }
        public long Steps { get; init; }
        public double ImagesPerSecond { get; init; }
        public double TrainSeconds { get; init; }
        public double? PeakRssMegabytes { get; init; }
        public double FirstLoss { get; init; }
        public double LastLoss { get; init; }
        public double? EffectiveRank { get; init; }
        public double? OnlineProbeAccuracy { get; init; }
        public double? LinearAll { get; init; }
        public double? KnnAll { get; init; }
        public double? LinearFew { get; init; }
        public double? KnnFew { get; init; }
        public double EvalSeconds { get; init; }
        public string? Error { get; init; }
    }

    /// <summary>
    /// What the child `train` gets: the objective, the budget, equal schedules, the shared augmentations (unless
    /// --objective-augment), labels for label-trained objectives, then the user's --set.
    /// </summary>
    public static List<string> TrainOverrides(SweepSettings settings, IObjectivePlugin objective)
    {
        var overrides = new List<string> { $"objective.id={objective.Id}", $"trainer.max_minutes={settings.Minutes.ToString(CultureInfo.InvariantCulture)}" };
        overrides.AddRange(EqualComputeOverrides);
        if (!settings.ObjectiveAugment) overrides.AddRange(SharedAugment(settings));
        if (objective.TrainsOnLabels)
            overrides.AddRange([$"trainer.labels_per_class={settings.LabelsPerClass}", $"trainer.label_seed={settings.Seed}"]);
        overrides.AddRange(settings.Overrides);
        return overrides;
    }

    /// <summary>
    /// Every augment key, pinned to the preset's value (after the user's --set) or the host default, so that no
    /// objective's own recipe (IObjectivePlugin.Augmentation) applies: all methods see the same views.
    /// </summary>
    public static IEnumerable<string> SharedAugment(SweepSettings settings)
    {
        var tree = ConfigLoader.LoadTree(settings.Config, settings.Overrides);
        var augment = tree["augment"] is JsonObject section ? ConfigLoader.Deserialize<AugmentOptions>(section, "augment") : new AugmentOptions();
        var values = JsonSerializer.SerializeToNode(augment, ConfigLoader.Json)!.AsObject();
        return values.Select(kv => $"augment.{kv.Key}={kv.Value!.ToJsonString()}");
    }

    private static SweepRow Train(ParseResult parsed, SweepSettings settings, IObjectivePlugin objective, string runDir, TextWriter stderr)
    {
        if (Directory.Exists(runDir)) Directory.Delete(runDir, recursive: true); // a sweep re-run starts each method afresh
        Directory.CreateDirectory(runDir);
        var args = new List<string> { "train", settings.Config, "--run-dir", runDir };
        foreach (var o in TrainOverrides(settings, objective)) args.AddRange(["--set", o]);
        if (parsed.GetValue(CliApp.DataDir) is { } dataDir) args.AddRange(["--data-dir", dataDir]);
        foreach (var folder in parsed.GetValue(CliApp.PluginFolders) ?? []) args.AddRange(["--plugins", folder]);

        stderr.WriteLine($"sweep: training {objective.Id} for {settings.Minutes} min -> {runDir}");
        var (exit, peakKilobytes, log) = ChildProcess.Run(args, Path.Combine(runDir, "train.log"));
        var row = new SweepRow { Objective = objective.Id, RunDir = runDir, PeakRssMegabytes = peakKilobytes > 0 ? peakKilobytes / 1024.0 : null };
        var summary = new RunDirectory(runDir).ReadSummary();
        if (exit != 0 || summary is null)
            return row with { Error = $"train exited with {exit}: {LastLine(log)} (log: {Path.Combine(runDir, "train.log")})" };

        var last = LastMetrics(Path.Combine(runDir, "metrics.jsonl"));
        return row with
        {
            Steps = summary["steps"]!.GetValue<long>(),
            ImagesPerSecond = summary["images_per_second"]!.GetValue<double>(),
            TrainSeconds = summary["wall_seconds"]!.GetValue<double>(),
            FirstLoss = summary["first_loss"]!.GetValue<double>(),
            LastLoss = summary["last_loss"]!.GetValue<double>(),
            EffectiveRank = last?[Trainer.HealthRank]?.GetValue<double>(),
            OnlineProbeAccuracy = last?["online_probe/acc"]?.GetValue<double>(),
        };
    }

    private static SweepRow Evaluate(ParseResult parsed, SweepSettings settings, SweepRow row, TextWriter stderr)
    {
        var wall = Stopwatch.StartNew();
        try
        {
            var directory = new RunDirectory(row.RunDir);
            using var run = CliApp.BuildRun(parsed, CliApp.SpecOf(parsed, directory.Path));
            string checkpoint = EvalCommand.ResolveCheckpoint(directory, null);
            Checkpoints.Load(checkpoint, run.Objective, null);
            var progress = new EvalCommand.StageProgress(stderr);
            var runner = new EvalRunner(run.Dataset, run.Objective.Encoder, run.Spec.Model.ImageSize, run.Device, progress.Show);
            // Both label budgets from one feature extraction: the all-labels pool is extracted once and the few-label probe picks its images out of it.
            IReadOnlyList<int?> budgets = settings.AllLabels ? [settings.LabelsPerClass, null] : [settings.LabelsPerClass];
            stderr.WriteLine($"sweep: probing {row.Objective} ({string.Join(" and ", budgets.Select(b => b is { } n ? $"{n} labels per class" : "all labels"))})");
            var request = new EvalRequest([EvalProtocol.Linear, EvalProtocol.Knn], EvalSubject.Checkpoint, null, settings.Seed,
                LinearEpochs: settings.LinearEpochs, MinSteps: settings.MinSteps);
            var results = runner.Run(request, budgets, checkpoint);
            progress.Finish();
            string evalDir = Path.Combine(directory.Path, "eval");
            Directory.CreateDirectory(evalDir);
            foreach (var r in results) directory.WriteJson(Path.Combine(evalDir, r.FileStem + ".json"), r);
            double? Top1(int? perClass, string protocol) => results.FirstOrDefault(r => r.LabelsPerClass == perClass && r.Protocol == protocol)?.Top1;
            return row with
            {
                LinearFew = Top1(settings.LabelsPerClass, "linear"), KnnFew = Top1(settings.LabelsPerClass, "knn"),
                LinearAll = settings.AllLabels ? Top1(null, "linear") : null, KnnAll = settings.AllLabels ? Top1(null, "knn") : null,
                EvalSeconds = wall.Elapsed.TotalSeconds,
            };
        }
        catch (Exception e) when (e is ConfigException or PluginException or IOException or InvalidOperationException or ArgumentException)
        {
            return row with { Error = $"eval failed: {e.Message}", EvalSeconds = wall.Elapsed.TotalSeconds };
        }
    }

    private static void Write(string outDir, SweepSettings settings, List<SweepRow> rows)
    {
        File.WriteAllText(Path.Combine(outDir, "method-table.md"), MethodTable(settings, rows));
        File.WriteAllText(Path.Combine(outDir, "sweep.json"), JsonSerializer.Serialize(new { Settings = settings, Rows = rows }, ConfigLoader.Json));
    }

    /// <summary>The markdown table: one row per method, test top-1 of each probe, throughput, memory and loss.</summary>
    public static string MethodTable(SweepSettings settings, IReadOnlyList<SweepRow> rows)
    {
        static string Percent(double? v) => v is { } x ? (100 * x).ToString("F2", CultureInfo.InvariantCulture) : "—";
        static string Number(double? v, string format) => v is { } x && double.IsFinite(x) ? x.ToString(format, CultureInfo.InvariantCulture) : "—";
        int n = settings.LabelsPerClass;
        var table = new StringBuilder();
        table.AppendLine($"Budget: {settings.Minutes.ToString(CultureInfo.InvariantCulture)} min of training per method on `{Path.GetFileName(settings.Config)}`; test top-1 (%) of frozen probes selected on validation (seed {settings.Seed}).");
        table.AppendLine();
        table.Append("| objective | linear (all) | kNN (all) | ").Append($"linear ({n}/class) | kNN ({n}/class) | ")
             .AppendLine("steps | img/s | peak RSS (MB) | loss first → last | eff. rank | online probe |");
        table.AppendLine("|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var r in rows)
        {
            if (r.Error is not null)
            {
                table.AppendLine($"| {r.Objective} | failed: {r.Error.Replace("|", "\\|")} |||||||||| ");
                continue;
            }
            table.AppendLine($"| {r.Objective} | {Percent(r.LinearAll)} | {Percent(r.KnnAll)} | {Percent(r.LinearFew)} | {Percent(r.KnnFew)} | {r.Steps} | " +
                             $"{Number(r.ImagesPerSecond, "F0")} | {Number(r.PeakRssMegabytes, "F0")} | {Number(r.FirstLoss, "G4")} → {Number(r.LastLoss, "G4")} | " +
                             $"{Number(r.EffectiveRank, "F1")} | {Percent(r.OnlineProbeAccuracy)} |");
        }
        return table.ToString();
    }

    private static JsonNode? LastMetrics(string file) =>
        File.Exists(file) ? File.ReadLines(file).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)).LastOrDefault() : null;

    private static string LastLine(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault(l => l.StartsWith("error", StringComparison.Ordinal))
        ?? text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? "";
}

/// <summary>Runs <c>scott-lab</c> as a child process and measures its peak resident memory.</summary>
internal static class ChildProcess
{
    /// <summary>Exit code, peak RSS in kB (VmHWM; 0 where /proc is missing) and the combined output, also written to <paramref name="logFile"/>.</summary>
    public static (int Exit, long PeakKilobytes, string Output) Run(IReadOnlyList<string> args, string logFile)
    {
        // The same scott-lab.dll this process runs from (also true in tests, where the host is a test runner).
        string dll = Path.Combine(AppContext.BaseDirectory, "scott-lab.dll");
        string dotnet = Environment.ProcessPath is { } host && Path.GetFileNameWithoutExtension(host) == "dotnet" ? host : "dotnet";
        var start = new ProcessStartInfo(dotnet) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        void Append(object? _, DataReceivedEventArgs e) { if (e.Data is not null) lock (output) output.AppendLine(e.Data); }
        process.OutputDataReceived += Append;
        process.ErrorDataReceived += Append;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        long peak = 0;
        // VmHWM is the kernel's own high-water mark, so polling only has to catch it before the process exits.
        while (!process.WaitForExit(200)) peak = Math.Max(peak, ReadHighWaterMark(process.Id));
        process.WaitForExit();
        string text;
        lock (output) text = output.ToString();
        File.WriteAllText(logFile, text);
        return (process.ExitCode, peak, text);
    }

    private static long ReadHighWaterMark(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        catch (IOException) { } // the process has just exited
        catch (UnauthorizedAccessException) { }
        return 0;
    }
}
