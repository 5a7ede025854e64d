using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Objectives.VicReg;

public sealed class VicRegOptions
{
    [Range(0.0, 1000.0), Display(Name = "Invariance weight λ"), Description("Weight of the mean squared error between the two views' embeddings.")]
    public double InvarianceWeight { get; set; } = 25;

    [Range(0.0, 1000.0), Display(Name = "Variance weight μ"), Description("Weight of the hinge that keeps every dimension's std at 1 or more.")]
    public double VarianceWeight { get; set; } = 25;

    [Range(0.0, 1000.0), Display(Name = "Covariance weight ν"), Description("Weight of the penalty on off-diagonal covariances (decorrelation).")]
    public double CovarianceWeight { get; set; } = 1;

    [Range(8, 8192), Display(Name = "Expander hidden width"), Description("Width of the expander's hidden layers (the paper uses 8192; smaller suits a CPU).")]
    public int ExpanderHiddenDim { get; set; } = 512;

    [Range(8, 8192), Display(Name = "Embedding width"), Description("Width of the embedding the three terms are computed on.")]
    public int EmbeddingDim { get; set; } = 512;
}
