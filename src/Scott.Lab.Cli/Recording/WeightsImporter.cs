using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Interop;
using Scott.Lab.Engine.Training;
using Scott.Lab.Plugins;
using Scott.Lab.Runs;

namespace Scott.Lab.Cli.Recording;

/// <summary>What to import: the weights, and where the model's configuration comes from.</summary>
public sealed record ImportRequest(string WeightsFile, string? ConfigFile, string? SidecarFile, string? Name, IReadOnlyList<string>? Overrides = null);

/// <summary>An imported run.</summary>
public sealed record ImportedRun(RunRecord Run, string Checkpoint, IReadOnlyList<string> Parts, IReadOnlyList<string> Notes, int Tensors);

/// <summary>
/// Imports weights as a new run: reads and checks the file, builds the run from its config, loads the weights (every
/// missing, unexpected or misshapen key named at once), writes the run folder in a temporary folder that is renamed
/// into place only when complete, and only then adds the run to the store. Any failure leaves the store as it was.
/// Shared by the CLI and the portal.
/// </summary>
public static class WeightsImporter
{
    /// <param name="store">The store to add the run to (the portal's); null opens the one in <paramref name="dataDir"/> at the end.</param>
    public static ImportedRun Import(ImportRequest request, PluginCatalog catalog, string dataDir, string? gitCommit, IReadOnlyDictionary<string, string> libraries,
        RunStore? store = null)
    {
        string file = request.WeightsFile;
        if (!File.Exists(file)) throw new ConfigException($"--weights: {file} not found.");
        var (tree, sidecarArgs, configSource) = ConfigOf(request);

        List<KeyValuePair<string, TorchSharp.torch.Tensor>> tensors;
        try { tensors = WeightsFile.Load(file); }
        catch (WeightsFileException e) { throw new ConfigException($"--weights: {e.Message}"); }
        string runsDir = Path.Combine(Path.GetFullPath(dataDir), "runs");
        string id = RunStore.NewRunId();
        string final = Path.Combine(runsDir, id);
        string temp = Path.Combine(runsDir, $".import-{id}.tmp");
        try
        {
            Directory.CreateDirectory(temp);
            using var assembled = RunBuilder.Build(RunSpecBinder.BindOrThrow(tree, catalog), catalog);
            ImportResult result;
            try
            {
                result = ModelInterop.Import(assembled.Objective, tensors, () =>
                {
                    var args = ReferenceModelArgs.FromSpec(assembled.Resolved, assembled.Dataset.Channels);
                    if (sidecarArgs is not null && sidecarArgs with { DropRate = 0, AttnDropRate = 0, DropPathRate = 0, PredictorDepth = 0 } != args with { DropRate = 0, AttnDropRate = 0, DropPathRate = 0, PredictorDepth = 0 })
                        throw new InteropException($"the sidecar's model ({sidecarArgs.ToJson().ToJsonString()}) does not match the run config's ({args.ToJson().ToJsonString()}).");
                    return args;
                });
            }
            catch (InteropException e) { throw new ConfigException($"import {Path.GetFileName(file)}: {e.Message}"); }

            var directory = new RunDirectory(temp);
            directory.WriteConfig(assembled.Resolved);
            string checkpoint = new Checkpoints(temp).SaveWeights(assembled.Objective,
                new CheckpointState(0, 0, assembled.Spec.Trainer.Seed, DateTime.UtcNow.ToString("O")));
            var provenance = new JsonObject
            {
                ["weights"] = file,
                ["sha256"] = Sha256(file),
                ["config"] = configSource,
                ["parts"] = new JsonArray(result.Parts.Select(p => (JsonNode)JsonValue.Create(p)!).ToArray()),
                ["tensors"] = result.Tensors,
                ["notes"] = new JsonArray(result.Notes.Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["imported_utc"] = DateTime.UtcNow.ToString("O"),
            };
            File.WriteAllText(Path.Combine(temp, "import.json"), provenance.ToJsonString(InteropSidecar.JsonOptions));
            Directory.Move(temp, final);
            string finalCheckpoint = Path.Combine(final, "checkpoints", Path.GetFileName(checkpoint));

            var record = new RunRecord
            {
                Id = id,
                Name = string.IsNullOrWhiteSpace(request.Name) ? Path.GetFileNameWithoutExtension(file) : request.Name.Trim(),
                Directory = final,
                Spec = (JsonObject)assembled.Resolved.DeepClone(),
                Source = "import",
                Dataset = assembled.Spec.Dataset.Id,
                Tokenizer = assembled.Spec.Tokenizer.Id,
                Objective = assembled.Spec.Objective.Id,
                Status = RunStatus.Imported,
                History = [new StatusChange { Status = RunStatus.Imported, AtUtc = DateTime.UtcNow, Message = $"imported from {file} ({string.Join(" + ", result.Parts)})" }],
                Plugins = assembled.Plugins.Select(p => new PluginRef { Kind = p.Kind, Id = p.Id, Version = p.Version, Sha256 = p.Sha256 }).ToList(),
                Device = "cpu",
                GitCommit = gitCommit,
                Libraries = new Dictionary<string, string>(libraries),
                Notes = $"Imported from {Path.GetFileName(file)} (sha256 {provenance["sha256"]}). " + string.Join("; ", result.Notes),
            };
            try
            {
                using var opened = store is null ? new RunStore(dataDir) : null;
                var target = store ?? opened!;
                target.Create(record);
                target.AddArtifact(new ArtifactRecord { RunId = id, Kind = "checkpoint", Path = finalCheckpoint, Step = 0,
                    Bytes = Directory.EnumerateFiles(finalCheckpoint).Sum(f => new FileInfo(f).Length) });
            }
            catch
            {
                Directory.Delete(final, true);
                throw;
            }
            return new ImportedRun(record, finalCheckpoint, result.Parts, result.Notes, result.Tensors);
        }
        finally
        {
            foreach (var (_, t) in tensors) t.Dispose();
            if (Directory.Exists(temp)) Directory.Delete(temp, true);
        }
    }

    /// <summary>The run config tree: --config, or the sidecar's spec; a sidecar's get_model arguments replace the config's model.</summary>
    private static (JsonObject Tree, ReferenceModelArgs? SidecarArgs, string Source) ConfigOf(ImportRequest request)
    {
        string? sidecar = request.SidecarFile;
        if (sidecar is null && request.ConfigFile is null && File.Exists(InteropSidecar.PathFor(request.WeightsFile)))
            sidecar = InteropSidecar.PathFor(request.WeightsFile);
        if (sidecar is null && request.ConfigFile is null)
            throw new ConfigException($"import: the model's configuration is needed: --sidecar FILE.json (written by `scott-lab export`, or by hand with " +
                                      $"get_model's arguments under \"model\") or --config a run config (YAML). {InteropSidecar.PathFor(request.WeightsFile)} does not exist.");
        ReferenceModelArgs? args = null;
        JsonObject? spec = null;
        if (sidecar is not null)
        {
            try { (args, spec) = InteropSidecar.Read(Path.GetFullPath(sidecar)); }
            catch (InteropException e) { throw new ConfigException(e.Message); }
        }
        if (request.ConfigFile is not null)
        {
            var tree = ConfigLoader.LoadTree(request.ConfigFile, request.Overrides);
            args?.ApplyTo(tree);
            return (tree, args, Path.GetFullPath(request.ConfigFile) + (sidecar is null ? "" : $" with the model of {Path.GetFullPath(sidecar)}"));
        }
        if (spec is null)
            throw new ConfigException($"--sidecar: {sidecar} has the model's get_model arguments but no 'spec' (dataset, objective); add --config a run config (YAML) for those.");
        var fromSpec = (JsonObject)spec.DeepClone();
        foreach (var assignment in request.Overrides ?? []) ConfigLoader.ApplyOverride(fromSpec, assignment);
        return (fromSpec, args, Path.GetFullPath(sidecar!));
    }

    private static string Sha256(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
