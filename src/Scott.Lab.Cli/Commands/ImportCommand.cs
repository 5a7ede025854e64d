using System.CommandLine;
using Scott.Lab.Cli.Recording;

namespace Scott.Lab.Cli.Commands;

/// <summary>
/// <c>scott-lab import --weights FILE [--config YAML | --sidecar JSON] [--name N] [--set key=value]...</c>: a run in the store with the
/// status <i>imported</i>, its spec and plugins, and a checkpoint holding the encoder (see <see cref="WeightsImporter"/>).
/// </summary>
public static class ImportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var weights = new Option<string>("--weights") { Description = "A safetensors file or a torch.save'd state dict, in the reference's key names (or this project's).", Required = true };
        var config = new Option<string?>("--config") { Description = "A run config (YAML) describing the model, dataset and objective." };
        var sidecar = new Option<string?>("--sidecar") { Description = "The JSON written by `export` (its spec, or its get_model arguments with --config). Default: FILE.json when it exists." };
        var name = new Option<string?>("--name") { Description = "Name of the new run (default: the weights file's name)." };
        var set = new Option<string[]>("--set") { Description = "Override a key of the config: --set dataset.id=flowers102 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var command = new Command("import", "Import encoder weights (e.g. from the reference PyTorch code) as a run with status imported.")
            { weights, config, sidecar, name, set };
        command.SetAction(parsed =>
        {
            string file = Path.GetFullPath(parsed.GetValue(weights)!);
            var settings = CliApp.Settings(parsed);
            var request = new ImportRequest(file, parsed.GetValue(config), parsed.GetValue(sidecar), parsed.GetValue(name), parsed.GetValue(set) ?? []);
            var imported = WeightsImporter.Import(request, CliApp.LoadCatalog(parsed), settings.DataDir, RunInfo.GitCommit(), RunInfo.Libraries());
            foreach (var note in imported.Notes) stderr.WriteLine($"import: {note}");
            stdout.WriteLine($"imported {file} as run {imported.Run.Id} ({imported.Run.Name}): {imported.Tensors} tensors into the {string.Join(" + ", imported.Parts)}");
            stdout.WriteLine($"run folder: {imported.Run.Directory} (checkpoint {imported.Checkpoint})");
            return 0;
        });
        return command;
    }
}
