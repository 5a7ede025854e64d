using Scott.Lab.Engine.Training;

namespace Scott.Lab.Cli.Terminal;

/// <summary>One live line on a terminal (rewritten in place, at most 4 times a second); one line per log interval otherwise.</summary>
public sealed class ProgressLine(TextWriter output, int logEvery)
{
    private readonly bool _interactive = ReferenceEquals(output, Console.Error) && !Console.IsErrorRedirected;
    private DateTime _lastShown = DateTime.MinValue;
    private int _width;

    public void Show(TrainingProgress p)
    {
        bool last = p.Step == p.TotalSteps;
        string text = $"step {p.Step}/{p.TotalSteps} | loss {p.Loss:F4} | lr {p.LearningRate:0.00e+00} | {p.ImagesPerSecond:F0} img/s | ETA {Format(p.Eta)}"
                      + (p.Warning is null ? "" : $" | WARNING {p.Warning}");
        if (_interactive)
        {
            if (!last && DateTime.UtcNow - _lastShown < TimeSpan.FromMilliseconds(250)) return;
            _lastShown = DateTime.UtcNow;
            output.Write("\r" + text.PadRight(_width));
            _width = text.Length;
        }
        else if (p.Step % logEvery == 0 || last)
        {
            output.WriteLine(text);
        }
    }

    public void Finish()
    {
        if (_interactive && _width > 0) output.WriteLine();
    }

    private static string Format(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}:{t:mm\\:ss}" : $"{t:mm\\:ss}";
}
