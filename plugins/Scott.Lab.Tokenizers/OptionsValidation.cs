using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Tokenizers;

internal static class OptionsValidation
{
    /// <summary>
    /// Runs the options' DataAnnotations (and <see cref="IValidatableObject"/>), because the host may hand over
    /// options it did not validate; the contract asks for an <see cref="ArgumentException"/>.
    /// </summary>
    public static void Validate(object options)
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            throw new ArgumentException($"Invalid {options.GetType().Name}: {string.Join(" ", results.Select(r => r.ErrorMessage))}");
    }
}
