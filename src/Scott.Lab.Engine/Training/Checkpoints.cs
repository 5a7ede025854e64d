using System.Text.Json;
using Scott.Lab.Abstractions.Objectives;
using TorchSharp.Modules;

namespace Scott.Lab.Engine.Training;

/// <summary>What a checkpoint says about where training stood.</summary>
/// <param name="Step">Steps completed: training resumes at this step.</param>
public sealed record CheckpointState(long Step, long TotalSteps, int Seed, string CreatedUtc);

/// <summary>
/// Checkpoints in <c>runDir/checkpoints/step-00000100/</c>: the objective's whole state (context encoder,
/// target, predictor, heads), the optimiser state and the trainer state. Written to a temporary folder and then
/// renamed, so a process killed mid-save never leaves a half checkpoint behind. Random draws are derived from
/// (seed, step) (see StepSeed), so the step and seed are all the generator state a resume needs.
/// </summary>
public sealed class Checkpoints(string runDirectory)
{
    public string Folder => Path.Combine(runDirectory, "checkpoints");

    /// <summary>Saves a checkpoint; <paramref name="writeExtra"/> may add files (it gets the folder) before it is published.</summary>
    public string Save(ObjectiveModule objective, AdamW optimizer, CheckpointState state, Action<string>? writeExtra = null) =>
        Write(objective, optimizer, state, writeExtra);

    /// <summary>
    /// A checkpoint of the model alone, without optimiser state (imported weights): eval, embed, maps and export read
    /// it like any other; training cannot resume from it.
    /// </summary>
    public string SaveWeights(ObjectiveModule objective, CheckpointState state, Action<string>? writeExtra = null) =>
        Write(objective, null, state, writeExtra);

    private string Write(ObjectiveModule objective, AdamW? optimizer, CheckpointState state, Action<string>? writeExtra)
    {
        Directory.CreateDirectory(Folder);
        string final = Path.Combine(Folder, $"step-{state.Step:D8}");
        string temp = final + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, true);
        Directory.CreateDirectory(temp);
        objective.save(Path.Combine(temp, "model.bin"));
        optimizer?.save_state_dict(Path.Combine(temp, "optimizer.bin"));
        writeExtra?.Invoke(temp);
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state));
        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(temp, final);
        return final;
    }

    /// <summary>The newest complete checkpoint, or null.</summary>
    public string? Latest() => All().LastOrDefault();

    /// <summary>Every complete checkpoint, oldest first (the zero-padded step makes name order step order).</summary>
    public IReadOnlyList<string> All() =>
        Directory.Exists(Folder)
            ? Directory.EnumerateDirectories(Folder, "step-*")
                .Where(d => !d.EndsWith(".tmp", StringComparison.Ordinal) && File.Exists(Path.Combine(d, "state.json")))
                .OrderBy(d => d, StringComparer.Ordinal).ToList()
            : [];

    /// <summary>A checkpoint's state.json alone (no weights loaded).</summary>
    public static CheckpointState ReadState(string checkpoint) =>
        JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(Path.Combine(checkpoint, "state.json")))
        ?? throw new InvalidDataException($"{checkpoint}/state.json is empty.");

    public static CheckpointState Load(string checkpoint, ObjectiveModule objective, AdamW? optimizer)
    {
        var state = ReadState(checkpoint);
        objective.load(Path.Combine(checkpoint, "model.bin"));
        optimizer?.load_state_dict(Path.Combine(checkpoint, "optimizer.bin"));
        return state;
    }
}
