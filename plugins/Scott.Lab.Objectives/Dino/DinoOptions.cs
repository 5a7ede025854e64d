using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Objectives.Dino;

public sealed class DinoOptions : IValidatableObject
{
    [Range(8, 65536), Display(Name = "Prototypes"), Description("Output width K of the DINO head: the softmax is over K prototypes (DINO: 65,536 for ImageNet; a few thousand suit small data).")]
    public int OutputDim { get; set; } = 1024;

    [Range(8, 8192), Display(Name = "Head hidden width"), Description("Hidden width of the head's MLP.")]
    public int HiddenDim { get; set; } = 512;

    [Range(8, 8192), Display(Name = "Bottleneck width"), Description("Width of the L2-normalised bottleneck before the prototypes.")]
    public int BottleneckDim { get; set; } = 128;

    [Range(0.001, 1.0), Display(Name = "Student temperature"), Description("τ_s: the student's logits are divided by it before the softmax.")]
    public double StudentTemperature { get; set; } = 0.1;

    [Range(0.001, 1.0), Display(Name = "Teacher temperature"), Description("τ_t after warm-up: lower than τ_s, which sharpens the teacher's targets.")]
    public double TeacherTemperature { get; set; } = 0.04;

    [Range(0.001, 1.0), Display(Name = "Teacher temperature at start"), Description("τ_t at the first step, rising linearly to the teacher temperature over the warm-up.")]
    public double WarmupTeacherTemperature { get; set; } = 0.04;

    [Range(0.0, 1.0), Display(Name = "Teacher temperature warm-up"), Description("Share of the run over which τ_t rises from its start value.")]
    public double TeacherTemperatureWarmup { get; set; } = 0.3;

    [Range(0.0, 1.0), Display(Name = "Centre momentum"), Description("The centre subtracted from the teacher's logits is an EMA of their batch mean with this momentum.")]
    public double CenterMomentum { get; set; } = 0.9;

    [Range(0.0, 1.0), Display(Name = "EMA start"), Description("Teacher momentum at the first step (DINO: 0.996; lower suits short runs).")]
    public double EmaStart { get; set; } = 0.99;

    [Range(0.0, 1.0), Display(Name = "EMA end"), Description("Teacher momentum at the last step; cosine in between.")]
    public double EmaEnd { get; set; } = 1.0;

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (EmaEnd < EmaStart)
            yield return new ValidationResult($"must be at least ema_start ({EmaStart}): the teacher slows down over the run, got {EmaEnd}.", [nameof(EmaEnd)]);
        if (TeacherTemperature >= StudentTemperature)
            yield return new ValidationResult($"must be below student_temperature ({StudentTemperature}): the teacher's targets must be sharper than the student's, or nothing stops a uniform collapse; got {TeacherTemperature}.", [nameof(TeacherTemperature)]);
    }
}
