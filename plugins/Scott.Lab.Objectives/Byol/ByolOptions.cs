using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Objectives.Byol;

public sealed class ByolOptions : IValidatableObject
{
    [Range(0.0, 1.0), Display(Name = "EMA start"), Description("Target momentum at the first step (BYOL: 0.996; lower suits short runs).")]
    public double EmaStart { get; set; } = 0.99;

    [Range(0.0, 1.0), Display(Name = "EMA end"), Description("Target momentum at the last step; cosine in between.")]
    public double EmaEnd { get; set; } = 1.0;

    [Range(8, 8192), Display(Name = "Projector hidden width"), Description("Hidden width of the projector and of the predictor.")]
    public int HiddenDim { get; set; } = 512;

    [Range(8, 8192), Display(Name = "Projection width"), Description("Width of the projection the online predictor regresses.")]
    public int ProjectionDim { get; set; } = 128;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (EmaEnd < EmaStart)
            yield return new ValidationResult($"must be at least ema_start ({EmaStart}): the target slows down over the run, got {EmaEnd}.", [nameof(EmaEnd)]);
    }
}
