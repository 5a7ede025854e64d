using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Objectives.SimClr;

public sealed class SimClrOptions
{
    [Range(0.01, 10.0), Display(Name = "Temperature"), Description("NT-Xent temperature τ: similarities are divided by it before the softmax.")]
    public double Temperature { get; set; } = 0.2;

    [Range(8, 8192), Display(Name = "Projector hidden width"), Description("Width of the projector MLP's hidden layer.")]
    public int ProjectorHiddenDim { get; set; } = 512;

    [Range(8, 8192), Display(Name = "Projection width"), Description("Width of the projection the loss compares.")]
    public int ProjectionDim { get; set; } = 128;
}
