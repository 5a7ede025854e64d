using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using Scott.Lab.Cli.Recording;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Interop;
using Scott.Lab.Engine.Training;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab export --run DIR [--checkpoint C] [--part encoder|target|predictor|all] [--format safetensors|pytorch]
/// [--names reference|own] --out FILE</c>: a run's weights under the reference implementation's state-dict keys (or this
/// project's own), plus <c>FILE.json</c>: the reference's get_model arguments, the run's spec and the preprocessing.
/// </summary>
public static class ExportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var run = new Option<string>("--run") { Description = "Run directory (made by `scott-lab train` or `import`).", Required = true };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "Checkpoint folder, or a step number (default: the run's latest)." };
        var part = new Option<string>("--part") { Description = "encoder (the context encoder) | target (the EMA target encoder) | predictor (MIM-JEPA) | all.", DefaultValueFactory = _ => "encoder" };
        var format = new Option<string>("--format") { Description = "safetensors (safetensors.torch.load_file) | pytorch (torch.load).", DefaultValueFactory = _ => "safetensors" };
        var names = new Option<string>("--names") { Description = "reference (the paper's PyTorch code's state-dict keys) | own (this project's parameter names).", DefaultValueFactory = _ => "reference" };
        var output = new Option<string>("--out") { Description = "Weights file to write; the sidecar goes to FILE.json.", Required = true };
        var command = new Command("export", "Export a run's weights for PyTorch (reference key names, safetensors or torch.load) with a JSON sidecar.")
            { run, checkpoint, part, format, names, output };
        command.SetAction(parsed =>
        {
            string dir = parsed.GetValue(run)!;
            if (!Directory.Exists(dir)) throw new ConfigException($"--run: {Path.GetFullPath(dir)} not found.");
            var directory = new RunDirectory(dir);
            var which = Parse(() => ModelInterop.ParsePart(parsed.GetValue(part)!), "--part");
            var fileFormat = Parse(() => WeightsFile.ParseFormat(parsed.GetValue(format)!), "--format");
            var keyNames = parsed.GetValue(names) switch
            {
                "reference" => KeyNames.Reference,
                "own" => KeyNames.Own,
                var other => throw new ConfigException($"--names: '{other}' is not one of reference, own."),
            };
            string outFile = Path.GetFullPath(parsed.GetValue(output)!);
            string used = Path.GetFullPath(EvalCommand.ResolveCheckpoint(directory, parsed.GetValue(checkpoint)));

            // Weights are read on the CPU whatever device the run trained on.
            var runSpec = CliApp.SpecOf(parsed, directory.Path);
            using var assembled = CliApp.BuildRun(parsed, CliApp.SpecOf(parsed, directory.Path, ["trainer.device=cpu", "trainer.threads=0"]));
            ReferenceModelArgs? args = null;
            try { args = ReferenceModelArgs.FromSpec(assembled.Resolved, assembled.Dataset.Channels); }
            catch (InteropException e) when (keyNames == KeyNames.Own) { stderr.WriteLine($"export: own names only ({e.Message})"); }
            catch (NoReferenceLayoutException e) { return NoReferenceLayout(e, stderr); }
            catch (InteropException e) { throw new ConfigException($"export: {e.Message}"); }
            var state = Checkpoints.Load(used, assembled.Objective, null);

            List<KeyValuePair<string, TorchSharp.torch.Tensor>> tensors;
            try { tensors = ModelInterop.Export(assembled.Objective, which, keyNames, args); }
            catch (NoReferenceLayoutException e) when (keyNames == KeyNames.Reference) { return NoReferenceLayout(e, stderr); }
            catch (InteropException e) { throw new ConfigException($"export: {e.Message}"); }
            try
            {
                Directory.CreateDirectory(Path.GetDirectoryName(outFile)!);
                WeightsFile.Save(outFile, tensors, fileFormat);
                var preprocessing = InteropSidecar.Preprocessing(assembled.Dataset.Channels, assembled.Spec.Model.ImageSize, assembled.Dataset.Mean, assembled.Dataset.Std);
                var source = new JsonObject
                {
                    ["run"] = directory.Path,
                    ["checkpoint"] = used,
                    ["step"] = state.Step,
                    ["dataset"] = assembled.Spec.Dataset.Id,
                    ["class_names"] = new JsonArray(assembled.Dataset.ClassNames.Select(c => (JsonNode)JsonValue.Create(c)!).ToArray()),
                    ["exported_utc"] = DateTime.UtcNow.ToString("O"),
                    ["scott_lab"] = RunInfo.Libraries()["scott-lab"],
                };
                // The spec as the run has it: the CPU and thread overrides above are this export's, not the run's.
                var spec = (JsonObject)assembled.Resolved.DeepClone();
                var asRun = runSpec["trainer"] as JsonObject;
                if (spec["trainer"] is JsonObject trainer && asRun is not null)
                    foreach (var key in new[] { "device", "threads" })
                        if (asRun[key] is { } value) trainer[key] = value.DeepClone();
                var sidecar = InteropSidecar.Build(args, which, keyNames, fileFormat, spec, preprocessing, source, tensors);
                string sidecarFile = InteropSidecar.PathFor(outFile);
                File.WriteAllText(sidecarFile, sidecar.ToJsonString(InteropSidecar.JsonOptions));
                long count = tensors.Sum(t => t.Value.numel());
                stdout.WriteLine($"exported {which.ToString().ToLowerInvariant()} of {used} ({tensors.Count} tensors, {count:N0} values, " +
                                 $"{(keyNames == KeyNames.Reference ? "reference" : "scott-lab")} names) to {outFile}");
                stdout.WriteLine($"sidecar: {sidecarFile}" + (args is null ? "" : $" (get_model: {args.ModelName}, img_size {args.ImgSize}, embed_dim {args.EmbedDim}, depth {args.Depth})"));
            }
            finally
            {
                foreach (var (_, t) in tensors) t.Dispose();
            }
            return 0;
        });
        return command;
    }

    /// <summary>The reference's names cannot carry this model (its tokenizer, its parameters): a distinct exit code.</summary>
    private static int NoReferenceLayout(NoReferenceLayoutException e, TextWriter stderr)
    {
        stderr.WriteLine($"error: export: {e.Message}");
        return CliApp.ExitNoReferenceLayout;
    }

    private static T Parse<T>(Func<T> parse, string option)
    {
        try { return parse(); }
        catch (ArgumentException e) { throw new ConfigException($"{option}: {e.Message}"); }
    }
}
