using System.Globalization;
using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Mat;

/// <summary>
/// One variable of a MAT-file: a named array with its class and dimensions. Numeric arrays hold their values in a
/// .NET array of the class's type (<c>double[]</c> for <c>mxDOUBLE_CLASS</c>, <c>byte[]</c> for <c>mxUINT8_CLASS</c>, ...)
/// in MATLAB's column-major order; char arrays hold their text. Cells, structs, objects and sparse arrays are listed
/// (name, class, dimensions) but their contents are not read.
/// </summary>
public sealed class MatArray
{
    private MatArray(string name, MatClass matClass, int[] dimensions, Array? real, Array? imaginary, string? text, bool logical, bool global)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(dimensions);
        if (dimensions.Length < 2) throw new ArgumentException("A MATLAB array has at least 2 dimensions.", nameof(dimensions));
        if (dimensions.Any(d => d < 0)) throw new ArgumentException("Dimensions cannot be negative.", nameof(dimensions));
        (Name, Class, _dimensions, Real, Imaginary, Text, IsLogical, IsGlobal) = (name, matClass, dimensions, real, imaginary, text, logical, global);
    }

    private readonly int[] _dimensions;

    public string Name { get; }
    public MatClass Class { get; }
    public IReadOnlyList<int> Dimensions => _dimensions;

    /// <summary>Number of elements: the product of the dimensions.</summary>
    public long Count => _dimensions.Aggregate(1L, (product, d) => product * d);

    /// <summary>Real parts of a numeric array, typed by class; null for other classes.</summary>
    public Array? Real { get; }

    /// <summary>Imaginary parts of a complex numeric array, else null.</summary>
    public Array? Imaginary { get; }
    public bool IsComplex => Imaginary is not null;
    public bool IsLogical { get; }
    public bool IsGlobal { get; }

    /// <summary>The characters of a char array (column-major, so a 1×N array reads as its string); null for other classes.</summary>
    public string? Text { get; }

    /// <summary>The file this array was read from, for messages ("" when built in memory).</summary>
    public string Source { get; internal set; } = "";

    /// <summary>Whether the contents were read (numeric and char arrays) or only listed (cell, struct, object, sparse).</summary>
    public bool IsSupported => Real is not null || Text is not null;

    /// <summary>"1×8189".</summary>
    public string Shape => string.Join("×", _dimensions);

    /// <summary>A numeric array; the class follows the element type of <paramref name="real"/> (double[] → mxDOUBLE_CLASS, ...).</summary>
    public static MatArray Numeric(string name, int[] dimensions, Array real, Array? imaginary = null, bool logical = false, bool global = false)
    {
        ArgumentNullException.ThrowIfNull(real);
        var matClass = MatTypes.ClassOf(real.GetType().GetElementType()!)
            ?? throw new ArgumentException($"{real.GetType().Name} is not a MATLAB numeric type.", nameof(real));
        if (real.Rank != 1) throw new ArgumentException("Give the values as a one-dimensional array in column-major order.", nameof(real));
        if (imaginary is not null && (imaginary.GetType() != real.GetType() || imaginary.Length != real.Length))
            throw new ArgumentException("The imaginary parts must have the type and length of the real parts.", nameof(imaginary));
        if (logical && matClass != MatClass.UInt8) throw new ArgumentException("Logical arrays are mxUINT8_CLASS (byte[]).", nameof(logical));
        var array = new MatArray(name, matClass, (int[])dimensions.Clone(), real, imaginary, null, logical, global);
        if (array.Count != real.Length)
            throw new ArgumentException($"Dimensions {array.Shape} need {array.Count} values, got {real.Length}.", nameof(real));
        return array;
    }

    /// <summary>A 1×N char array.</summary>
    public static MatArray Char(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return new MatArray(name, MatClass.Char, [text.Length == 0 ? 0 : 1, text.Length], null, null, text, false, false);
    }

    /// <summary>A char array of any shape whose characters are given in column-major order.</summary>
    internal static MatArray Char(string name, int[] dimensions, string text, bool global) =>
        new(name, MatClass.Char, dimensions, null, null, text, false, global);

    /// <summary>An array whose class this reader lists but does not read.</summary>
    internal static MatArray Unread(string name, MatClass matClass, int[] dimensions, bool global) =>
        new(name, matClass, dimensions, null, null, null, false, global);

    /// <summary>Every element as a double (real parts).</summary>
    public double[] ToDoubles()
    {
        var real = RequireNumeric();
        var values = new double[real.Length];
        for (int i = 0; i < values.Length; i++) values[i] = Convert.ToDouble(real.GetValue(i), CultureInfo.InvariantCulture);
        return values;
    }

    /// <summary>
    /// Every element as an int, for labels and indices; fails with a <see cref="DatasetException"/> naming the file and
    /// variable when a value is not a whole number in the int range, or the array is complex.
    /// </summary>
    public int[] ToInt32s()
    {
        var real = RequireNumeric();
        if (IsComplex) throw new DatasetException($"{Where}: variable '{Name}' is complex; expected real whole numbers.");
        var values = new int[real.Length];
        for (int i = 0; i < values.Length; i++)
        {
            object value = real.GetValue(i)!;
            bool ok = value switch
            {
                double d => double.IsInteger(d) && d >= int.MinValue && d <= int.MaxValue,
                float f => float.IsInteger(f) && f >= int.MinValue && f <= int.MaxValue,
                long l => l is >= int.MinValue and <= int.MaxValue,
                ulong u => u <= int.MaxValue,
                uint u => u <= int.MaxValue,
                _ => true, // the narrower integer types always fit
            };
            if (!ok)
                throw new DatasetException(
                    $"{Where}: variable '{Name}' holds {Convert.ToString(value, CultureInfo.InvariantCulture)} at index {i}; expected whole numbers.");
            values[i] = Convert.ToInt32(value, CultureInfo.InvariantCulture);
        }
        return values;
    }

    private Array RequireNumeric() =>
        Real ?? throw new DatasetException(
            $"{Where}: variable '{Name}' is a {Shape} {MatTypes.Describe(Class)} array; expected a numeric array.");

    private string Where => Source.Length > 0 ? Source : "MAT array";

    public override string ToString() => $"{Name}: {Shape} {MatTypes.Describe(Class)}{(IsComplex ? " complex" : "")}{(IsLogical ? " logical" : "")}";
}
