using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Objectives.Common;

internal static class OptionsCheck
{
    /// <summary>
    /// Runs the options' DataAnnotations (and <see cref="IValidatableObject"/>) again, because a host or a test may hand
    /// over options it did not validate; the contract asks for an <see cref="ArgumentException"/>, which the host
    /// reports under <c>objective:</c>.
    /// </summary>
    public static T Validated<T>(T options) where T : class
    {
        var results = new List<ValidationResult>();
        if (!Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true))
            throw new ArgumentException($"invalid {typeof(T).Name}: {string.Join(" ", results.Select(r => r.ErrorMessage))}");
        return options;
    }
}
