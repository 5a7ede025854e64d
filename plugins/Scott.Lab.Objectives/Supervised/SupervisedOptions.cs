using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Objectives.Supervised;

public sealed class SupervisedOptions
{
    [Range(0.0, 0.99), Display(Name = "Label smoothing"), Description("Cross-entropy label smoothing.")]
    public double LabelSmoothing { get; set; } = 0.1;
}
