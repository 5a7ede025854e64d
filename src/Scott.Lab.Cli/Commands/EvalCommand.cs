using Scott.Lab.Cli.Recording;
using System.CommandLine;
using System.Diagnostics;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab eval --run DIR [--checkpoint C] [--protocol linear|knn|attentive|all|paper] [--labels-per-class N]
/// [--seed S] [--baseline pixels|random-init] [--probe-* (paper protocol)]</c>: frozen evaluation of a run's context encoder (no mask).
/// With <c>--checkpoints all|every:N|last</c> it evaluates several checkpoints and writes the accuracy curve
/// (<c>RUN/eval/curve.json</c>: test top-1 against pre-training images seen).
/// </summary>
public static class EvalCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var run = new Option<string>("--run") { Description = "Run directory (made by `scott-lab train`).", Required = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint folder, or a step number (default: the run's latest)." };
        var protocol = new Option<string>("--protocol") { Description = "linear | knn | attentive | all (the fast protocols) | paper (the paper's probes on augmented views; see --probe-*).", DefaultValueFactory = _ => "all" };
        var labels = new Option<int?>("--labels-per-class") { Description = "Train the probe on this many labelled images per class (default: all)." };
        var seed = new Option<int>("--seed") { Description = "Seed of the validation split, the label draw and the probes (trainer.label_seed of a supervised run draws the same labels).", DefaultValueFactory = _ => 0 };
        var baseline = new Option<string?>("--baseline") { Description = "pixels (raw-pixel features) | random-init (the run's architecture, untrained). Default: the checkpoint." };
        var linearEpochs = new Option<int>("--linear-epochs") { Description = "Linear-probe epochs.", DefaultValueFactory = _ => 30 };
        var attentiveEpochs = new Option<int>("--attentive-epochs") { Description = "Attentive-probe epochs (20% warm-up).", DefaultValueFactory = _ => 20 };
        var minSteps = new Option<int>("--min-steps") { Description = "Fewest optimiser steps of a probe: epochs are raised to reach them (small label budgets).", DefaultValueFactory = _ => 1500 };
        var batch = new Option<int>("--batch-size") { Description = "Images per feature-extraction batch.", DefaultValueFactory = _ => 256 };
        var device = new Option<string?>("--device") { Description = "auto | cpu | cuda (default: the run's)." };
        var portal = new Option<string?>("--portal") { Description = $"Record the results in this portal (over HTTP) instead of the local run store; needs --run-id and the run's token in ${PortalClient.TokenVariable}." };
        var runId = new Option<string?>("--run-id") { Description = "With --portal: the id of the run in the portal." };
        var checkpoints = new Option<string?>("--checkpoints")
        {
            Description = $"Evaluate several checkpoints ({CheckpointSelection.Syntax}) and write the accuracy curve to RUN/eval/{AccuracyCurve.FileName}; checkpoints already on it are skipped.",
        };
        var budgets = new Option<string?>("--budgets") { Description = "Label budgets from one feature extraction, comma-separated: all and/or labels per class, e.g. all,100." };
        var command = new Command("eval", "Evaluate a run's frozen encoder with probes (results in RUN/eval/<protocol>.json).")
            { run, checkpoint, protocol, labels, seed, baseline, linearEpochs, attentiveEpochs, minSteps, batch, device, portal, runId, checkpoints, budgets };
        var paperFlags = new PaperProbeFlags();
        foreach (var flag in paperFlags.All) command.Add(flag);
        command.SetAction(parsed =>
        {
            string dir = parsed.GetValue(run)!;
            if (!Directory.Exists(dir)) throw new ConfigException($"--run: {Path.GetFullPath(dir)} not found; is it a run directory made by `scott-lab train`?");
            var directory = new RunDirectory(dir);
            var protocols = ParseProtocols(parsed.GetValue(protocol)!);
            var subject = parsed.GetValue(baseline) switch
            {
                null or "none" => EvalSubject.Checkpoint,
                "pixels" => EvalSubject.Pixels,
                "random-init" => EvalSubject.RandomInit,
                var other => throw new ConfigException($"--baseline: '{other}' is not one of pixels, random-init."),
            };
            if (subject == EvalSubject.Pixels && parsed.GetValue(protocol) == "all") protocols = [EvalProtocol.Linear, EvalProtocol.Knn];
            if (parsed.GetValue(labels) is <= 0) throw new ConfigException("--labels-per-class: must be positive.");
            if (parsed.GetValue(linearEpochs) < 1 || parsed.GetValue(attentiveEpochs) < 1) throw new ConfigException("--linear-epochs/--attentive-epochs: must be at least 1.");
            if (parsed.GetValue(batch) < 1) throw new ConfigException("--batch-size: must be at least 1.");
            var labelBudgets = LabelBudgets(parsed.GetValue(budgets), parsed.GetValue(labels));
            var curveSelection = parsed.GetValue(checkpoints) is { } chosen ? CheckpointSelection.Parse(chosen) : null;
            if (curveSelection is not null && (parsed.GetValue(checkpoint) is not null || subject != EvalSubject.Checkpoint))
                throw new ConfigException("--checkpoints evaluates the run's own checkpoints: leave out --checkpoint and --baseline.");
            var paperOptions = protocols.Contains(EvalProtocol.Paper) ? paperFlags.Read(parsed) : null;

            var overrides = new List<string>();
            if (parsed.GetValue(device) is { } d) overrides.Add($"trainer.device={d}");
            string? portalUrl = parsed.GetValue(portal);
            if (portalUrl is not null && string.IsNullOrEmpty(parsed.GetValue(runId)))
                throw new ConfigException("--portal needs --run-id ID: the run whose results the portal records.");
            // With --portal the spec comes from the portal: this process never opens the store.
            using var client = portalUrl is null ? null : new PortalClient(portalUrl, Environment.GetEnvironmentVariable(PortalClient.TokenVariable));
            var tree = client is null ? CliApp.SpecOf(parsed, directory.Path, overrides) : PortalSpec(client, parsed.GetValue(runId)!, overrides);
            using var assembled = CliApp.BuildRun(parsed, tree);
            string? used = null;
            if (subject == EvalSubject.Checkpoint)
            {
                used = ResolveCheckpoint(directory, parsed.GetValue(checkpoint));
                Checkpoints.Load(used, assembled.Objective, null);
            }
            string what = subject == EvalSubject.Checkpoint ? used! : $"baseline {parsed.GetValue(baseline)}";
            stderr.WriteLine($"eval {what}: {string.Join(", ", protocols).ToLowerInvariant()} on {assembled.Spec.Dataset.Id}, {DescribeBudgets(labelBudgets)}");

            // Progress, resource samples and results go to the run's record: the portal's (over HTTP) or the local store's.
            using RunReporter reporter = client is not null
                ? new PortalRecorder(client, parsed.GetValue(runId)!, directory.Path, 0, stderr, sequenced: false) { FlushOnDispose = TimeSpan.FromSeconds(60) }
                : StoreReporter(parsed, directory.Path, stderr);
            var live = new EvalProgressReport(reporter.Record, parsed.GetValue(protocol)!, parsed.GetValue(labels));
            using var sampler = new ResourceSampler("eval", assembled.Device.type == TorchSharp.DeviceType.CUDA, reporter.Record);
            var progress = new StageProgress(stderr);
            var runner = new EvalRunner(assembled.Dataset, subject == EvalSubject.Pixels ? null : assembled.Objective.Encoder,
                assembled.Spec.Model.ImageSize, assembled.Device, p => { progress.Show(p); live.Report(p); });
            var request = new EvalRequest(protocols, subject, parsed.GetValue(labels), parsed.GetValue(seed),
                parsed.GetValue(linearEpochs), parsed.GetValue(attentiveEpochs), parsed.GetValue(batch), Math.Max(0, parsed.GetValue(minSteps)))
            {
                Paper = paperOptions is null ? null : paperFlags.ForRun(paperOptions, parsed, assembled.Spec),
            };
            live.Started();
            if (curveSelection is not null)
            {
                int curveExit;
                try { curveExit = Curve(directory, assembled, runner, request, labelBudgets, curveSelection, stdout, stderr); }
                catch (Exception e) { live.Failed(e); throw; }
                progress.Finish();
                live.Completed($"accuracy curve: {AccuracyCurve.PathIn(directory.Path)}");
                return curveExit;
            }
            IReadOnlyList<EvalResult> results;
            try { results = runner.Run(request, labelBudgets, used); }
            catch (Exception e) { live.Failed(e); throw; }
            progress.Finish();

            string evalDir = Path.Combine(directory.Path, "eval");
            Directory.CreateDirectory(evalDir);
            var written = new List<(EvalResult, string, string)>();
            stdout.WriteLine($"{"protocol",-10} {"top1",7} {"top5",7} {"class",7} {"val top1",9}  selected on validation");
            foreach (var r in results)
            {
                string file = Path.Combine(evalDir, r.FileStem + ".json");
                directory.WriteJson(file, r);
                written.Add((r, file, r.Protocol));
                stdout.WriteLine($"{r.Protocol,-10} {r.Top1,7:P2} {r.Top5,7:P2} {r.MeanPerClass,7:P2} {r.Validation.Top1,9:P2}  {r.Selected}" + (r.Variant is { } v ? $" ({v} views)" : ""));
            }
            if (results.Count > 1 && EvalRunner.BestOnValidation(results) is { } best)
            {
                string stem = "best" + best.FileStem[best.Protocol.Length..];
                string file = Path.Combine(evalDir, stem + ".json");
                directory.WriteJson(file, best);
                written.Add((best, file, "best"));
                stdout.WriteLine($"best probe on validation: {best.Protocol} → test top-1 {best.Top1:P2}");
            }
            // Results of a run the store knows (by its folder) are recorded there too, for the portal.
            // Evaluations are unsequenced (idempotent by id): an eval can run beside the run's worker.
            if (reporter is StoreRecorder store) store.RecordEvaluations(directory.Path, written);
            else reporter.Record(RunEvents.Evaluations(parsed.GetValue(runId)!, written));
            live.Completed(string.Join("; ", results.Select(r => $"{r.Protocol} top-1 {r.Top1:P2}")));
            stdout.WriteLine($"results: {evalDir}/ (validation: {results[0].ValidationOrigin})");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Evaluates the chosen checkpoints one by one (each checkpoint's features once, for every label budget) and
    /// merges each into RUN/eval/curve.json as soon as it is done, so a stopped evaluation keeps what it finished.
    /// </summary>
    private static int Curve(RunDirectory directory, AssembledRun assembled, EvalRunner runner, EvalRequest request,
        IReadOnlyList<int?> budgets, CheckpointSelection selection, TextWriter stdout, TextWriter stderr)
    {
        var all = new Checkpoints(directory.Path).All();
        if (all.Count == 0) throw new ConfigException($"--checkpoints: {Path.Combine(directory.Path, "checkpoints")} has no checkpoint yet; train first.");
        var chosen = selection.Pick(all);
        var curve = AccuracyCurve.Read(directory.Path);
        var wanted = request.Protocols.SelectMany(p => budgets.Select(b => (p.ToString().ToLowerInvariant(), b))).ToList();
        stderr.WriteLine($"eval curve: {chosen.Count} of {all.Count} checkpoints, {string.Join(", ", request.Protocols).ToLowerInvariant()}, {DescribeBudgets(budgets)}");
        stdout.WriteLine($"{"checkpoint",-16} {"images seen",12}  {"probe",-28} {"top1",7} {"val top1",9}");
        foreach (string folder in chosen)
        {
            string name = Path.GetFileName(folder);
            if (curve.Has(name, wanted))
            {
                stderr.WriteLine($"{name}: already on {AccuracyCurve.FileName}, skipped");
                continue;
            }
            var state = Checkpoints.Load(folder, assembled.Objective, null);
            var results = runner.Run(request, budgets, folder);
            long seen = state.Step * assembled.Spec.Trainer.BatchSize;
            curve.Merge(name, state.Step, seen, results.Select(CurveResult.From));
            curve.Write(directory.Path);
            foreach (var r in results.Select(CurveResult.From))
                stdout.WriteLine($"{name,-16} {seen,12}  {r.Line,-28} {r.Top1,7:P2} {r.ValidationTop1,9:P2}");
        }
        stdout.WriteLine($"curve: {AccuracyCurve.PathIn(directory.Path)} ({curve.Points.Count} checkpoints)");
        return 0;
    }

    /// <summary>--budgets "all,100" (or --labels-per-class N alone) as label budgets; null = all labels.</summary>
    internal static IReadOnlyList<int?> LabelBudgets(string? list, int? labelsPerClass)
    {
        if (list is null) return [labelsPerClass];
        if (labelsPerClass is not null) throw new ConfigException("--budgets and --labels-per-class both say which labels to use: give one of them.");
        var budgets = new List<int?>();
        foreach (string item in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (item.Equals("all", StringComparison.OrdinalIgnoreCase)) budgets.Add(null);
            else if (int.TryParse(item, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n > 0) budgets.Add(n);
            else throw new ConfigException($"--budgets: '{item}' is neither 'all' nor a positive number of labels per class (e.g. --budgets all,100).");
        }
        if (budgets.Count == 0) throw new ConfigException("--budgets: give at least one budget, e.g. --budgets all,100.");
        return budgets.Distinct().ToList();
    }

    private static string DescribeBudgets(IReadOnlyList<int?> budgets) =>
        string.Join(" and ", budgets.Select(b => b is { } n ? $"{n} labels per class" : "all labels"));

    /// <summary>The local store's recorder for the run whose folder this is (records nothing for a folder it does not know).</summary>
    private static StoreRecorder StoreReporter(ParseResult parsed, string directory, TextWriter stderr)
    {
        var recorder = StoreRecorder.Open(CliApp.Settings(parsed).DataDir, stderr);
        recorder.AttachByDirectory(directory);
        return recorder;
    }

    private static System.Text.Json.Nodes.JsonObject PortalSpec(PortalClient client, string runId, IEnumerable<string> overrides)
    {
        var stored = client.Ask(() => client.GetRun(runId), $"eval needs it for run {runId}'s spec");
        if (stored?.Spec is null) throw new ConfigException($"--run-id: the portal {client.Url} has no run '{runId}' with a spec.");
        return CliApp.WithOverrides(stored.Spec, overrides);
    }

    private static List<EvalProtocol> ParseProtocols(string value) => value switch
    {
        "all" => [EvalProtocol.Linear, EvalProtocol.Knn, EvalProtocol.Attentive],
        "linear" => [EvalProtocol.Linear],
        "knn" => [EvalProtocol.Knn],
        "attentive" => [EvalProtocol.Attentive],
        "paper" => [EvalProtocol.Paper],
        _ => throw new ConfigException($"--protocol: '{value}' is not one of linear, knn, attentive, all, paper."),
    };

    internal static string ResolveCheckpoint(RunDirectory directory, string? given)
    {
        var checkpoints = new Checkpoints(directory.Path);
        if (given is null)
            return checkpoints.Latest() ?? throw new ConfigException($"--run: {checkpoints.Folder} has no checkpoint yet; train first, or pass --baseline.");
        if (long.TryParse(given, out long step))
        {
            string folder = Path.Combine(checkpoints.Folder, $"step-{step:D8}");
            return Directory.Exists(folder) ? folder : throw new ConfigException($"--checkpoint: no checkpoint at step {step} ({folder} not found).");
        }
        return File.Exists(Path.Combine(given, "state.json")) ? given : throw new ConfigException($"--checkpoint: {given} is not a checkpoint folder (no state.json).");
    }

    /// <summary>Progress of feature extraction and probe training on stderr: in place on a terminal, every ~10% otherwise.</summary>
    internal sealed class StageProgress(TextWriter output)
    {
        private readonly bool _interactive = ReferenceEquals(output, Console.Error) && !Console.IsErrorRedirected;
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private string? _stage;
        private long _lastDecile = -1;
        private TimeSpan _lastShown;

        public void Show(EvalProgress p)
        {
            if (p.Stage != _stage)
            {
                if (_interactive && _stage is not null) output.WriteLine();
                (_stage, _lastDecile) = (p.Stage, -1);
            }
            string text = $"{p.Stage}: {p.Done}/{p.Total} ({_clock.Elapsed.TotalSeconds:F0} s)";
            if (_interactive)
            {
                if (p.Done < p.Total && _clock.Elapsed - _lastShown < TimeSpan.FromMilliseconds(250)) return;
                _lastShown = _clock.Elapsed;
                output.Write("\r" + text);
            }
            else if (p.Done * 10 / Math.Max(1, p.Total) is var decile && (decile > _lastDecile || p.Done == p.Total))
            {
                _lastDecile = decile;
                output.WriteLine(text);
            }
        }

        public void Finish()
        {
            if (_interactive && _stage is not null) output.WriteLine();
        }
    }
}
