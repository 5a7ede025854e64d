using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.SamplePlugin;

/// <summary>
/// The options record: a plain class with a parameterless constructor. Its property defaults are the plugin's
/// defaults; the attributes give the portal's form its labels, ranges and help, and both the CLI
/// (<c>--set objective.options.redundancy_weight=0.01</c>, snake_case keys) and the portal validate with them.
/// </summary>
public sealed class BarlowTwinsOptions
{
    [Range(0.0, 1.0), Display(Name = "Redundancy weight λ"), Description("Weight of the off-diagonal terms of the cross-correlation matrix.")]
    public double RedundancyWeight { get; set; } = 0.005;

    [Range(8, 8192), Display(Name = "Projector width"), Description("Hidden and output width of the projector MLP.")]
    public int ProjectorDim { get; set; } = 256;
}
