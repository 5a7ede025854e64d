using Scott.Lab.Engine.Training;

namespace Scott.Lab.Cli.Terminal;

/// <summary>
/// One live line on a terminal (rewritten in place, at most 4 times a second); otherwise (a worker's log) one line per
/// metrics row, so that "step N/M | loss L" is exactly the row of step N in metrics.jsonl and on the run page's chart.
/// </summary>
public sealed class ProgressLine(TextWriter output)
{
    private readonly bool _interactive = ReferenceEquals(output, Console.Error) && !Console.IsErrorRedirected;
    private DateTime _lastShown = DateTime.MinValue;
    private int _width;

    public void Show(TrainingProgress p)
    {
        bool last = p.Step == p.TotalSteps;
        string loss = double.IsNaN(p.Loss) ? "-" : p.Loss.ToString("F4", System.Globalization.CultureInfo.InvariantCulture);
        string text = $"step {p.Step}/{p.TotalSteps} | loss {loss} | lr {p.LearningRate:0.00e+00} | {p.ImagesPerSecond:F0} img/s | ETA {Format(p.Eta)}"
                      + (p.Warning is null ? "" : $" | WARNING {p.Warning}");
        if (_interactive)
        {
            if (!last && DateTime.UtcNow - _lastShown < TimeSpan.FromMilliseconds(250)) return;
            _lastShown = DateTime.UtcNow;
            output.Write("\r" + text.PadRight(_width));
            _width = text.Length;
        }
        else if (p.Logged)
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
