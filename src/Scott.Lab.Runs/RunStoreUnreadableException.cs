namespace Scott.Lab.Runs;

/// <summary>
/// The run store's file is there but is not a readable LiteDB database (garbage, a torn header, another program's
/// file). The message names the file and the fix; nothing in the file has been changed.
/// </summary>
public sealed class RunStoreUnreadableException(string file, Exception cause) : Exception(
    $"The run store {file} cannot be read: it is not a LiteDB database or its header is damaged ({cause.GetType().Name}: {cause.Message}). " +
    $"Nothing in it was changed. To start with an empty store, move it aside (mv {file} {file}.broken); the portal does that " +
    $"itself when it starts. The run folders under {Path.Combine(Path.GetDirectoryName(file)!, "runs")} keep their checkpoints, metrics and results.",
    cause)
{
    public string File { get; } = file;
}
