using System.Diagnostics;
using Scott.Lab.Engine.Evaluation;
using Scott.Lab.Runs;
using Scott.Lab.Runs.Reporting;

namespace Scott.Lab.Cli.Recording;

/// <summary>
/// Turns an evaluation's progress callbacks (<see cref="EvalProgress"/>: a stage, done of total) into
/// <see cref="RunEventKind.EvaluationProgress"/> snapshots for the run page: the phase, how far it is, when it and the
/// evaluation started, and the phases done with their times. Sent through the run's recorder like every other report,
/// so it reaches the portal wherever the `eval` runs. At most one snapshot a <see cref="MinInterval"/> within a phase
/// (a new phase and the end of one always go out): the journal and the store see a few events a second at most.
/// </summary>
public sealed class EvalProgressReport(Action<RunEvent> emit, string protocol, int? labelsPerClass)
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly DateTime _startedUtc = DateTime.UtcNow;
    private readonly List<EvaluationPhase> _phases = [];
    private readonly Stopwatch _sinceSent = new();
    private string? _stage;
    private DateTime _stageStartedUtc;
    private long _done, _total;

    public void Started() => Send(EvaluationState.Running, null);

    public void Report(EvalProgress p)
    {
        lock (_gate)
        {
            var now = DateTime.UtcNow;
            bool newStage = p.Stage != _stage;
            if (newStage)
            {
                if (_stage is not null) _phases.Add(new EvaluationPhase { Stage = _stage, Seconds = (now - _stageStartedUtc).TotalSeconds });
                (_stage, _stageStartedUtc) = (p.Stage, now);
            }
            (_done, _total) = (p.Done, p.Total);
            if (!newStage && p.Done < p.Total && _sinceSent.IsRunning && _sinceSent.Elapsed < MinInterval) return;
            Send(EvaluationState.Running, null);
        }
    }

    public void Completed(string message) => Finish(EvaluationState.Completed, message);

    public void Failed(Exception e) => Finish(EvaluationState.Failed, StoreRecorder.Describe(e));

    private void Finish(EvaluationState state, string message)
    {
        lock (_gate)
        {
            if (_stage is not null) _phases.Add(new EvaluationPhase { Stage = _stage, Seconds = (DateTime.UtcNow - _stageStartedUtc).TotalSeconds });
            _stage = null;
            Send(state, message);
        }
    }

    private void Send(EvaluationState state, string? message)
    {
        var now = DateTime.UtcNow;
        emit(new RunEvent
        {
            Kind = RunEventKind.EvaluationProgress,
            AtUtc = now,
            Progress = new EvaluationProgress
            {
                State = state,
                Protocol = protocol,
                LabelsPerClass = labelsPerClass,
                Stage = _stage,
                Done = _stage is null ? 0 : _done,
                Total = _stage is null ? 0 : _total,
                StartedUtc = _startedUtc,
                StageStartedUtc = _stage is null ? null : _stageStartedUtc,
                UpdatedUtc = now,
                Pid = Environment.ProcessId,
                Host = Environment.MachineName,
                Message = message,
                Phases = [.. _phases.Select(p => new EvaluationPhase { Stage = p.Stage, Seconds = p.Seconds })],
            },
        });
        _sinceSent.Restart();
    }
}
