using System.Runtime.InteropServices;

namespace Scott.Lab.Cli.Hosting;

/// <summary>
/// Ctrl+C (SIGINT) and SIGTERM (what the portal, a scheduler or `kill` sends) turn into a cancellation: training
/// finishes its current step and saves a checkpoint instead of dying mid-write. One helper for `train` and `worker`.
/// Register it before the run is built, so that a stop during start-up is not lost.
/// </summary>
public sealed class StopSignal : IDisposable
{
    private readonly CancellationTokenSource _cancel = new();
    private readonly PosixSignalRegistration _interrupt, _terminate;

    public StopSignal(TextWriter log)
    {
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true; // the process goes on until the step is done
            if (!_cancel.IsCancellationRequested) log.WriteLine("stopping after this step (a checkpoint will be saved)...");
            _cancel.Cancel();
        }
        _interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        _terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
    }

    public CancellationToken Token => _cancel.Token;

    public void Dispose()
    {
        _interrupt.Dispose();
        _terminate.Dispose();
        _cancel.Dispose();
    }
}
