namespace Scott.Lab.Datasets.Mat;

/// <summary>Data types of MAT-file (Level 5) data elements (<c>miINT8</c> … <c>miUTF32</c>).</summary>
public enum MatDataType
{
    Int8 = 1,
    UInt8 = 2,
    Int16 = 3,
    UInt16 = 4,
    Int32 = 5,
    UInt32 = 6,
    Single = 7,
    Double = 9,
    Int64 = 12,
    UInt64 = 13,
    Matrix = 14,
    Compressed = 15,
    Utf8 = 16,
    Utf16 = 17,
    Utf32 = 18,
}

/// <summary>MATLAB array classes (<c>mxCELL_CLASS</c> … <c>mxUINT64_CLASS</c>), the low byte of the array flags.</summary>
public enum MatClass
{
    Cell = 1,
    Struct = 2,
    Object = 3,
    Char = 4,
    Sparse = 5,
    Double = 6,
    Single = 7,
    Int8 = 8,
    UInt8 = 9,
    Int16 = 10,
    UInt16 = 11,
    Int32 = 12,
    UInt32 = 13,
    Int64 = 14,
    UInt64 = 15,
}

/// <summary>Sizes and names of the numeric types, and the mapping between classes and their natural storage type.</summary>
public static class MatTypes
{
    /// <summary>Bytes per element of a numeric or text data type, or 0 for Matrix/Compressed.</summary>
    public static int SizeOf(MatDataType type) => type switch
    {
        MatDataType.Int8 or MatDataType.UInt8 or MatDataType.Utf8 => 1,
        MatDataType.Int16 or MatDataType.UInt16 or MatDataType.Utf16 => 2,
        MatDataType.Int32 or MatDataType.UInt32 or MatDataType.Single or MatDataType.Utf32 => 4,
        MatDataType.Int64 or MatDataType.UInt64 or MatDataType.Double => 8,
        _ => 0,
    };

    public static bool IsNumeric(MatDataType type) => type is MatDataType.Int8 or MatDataType.UInt8 or MatDataType.Int16
        or MatDataType.UInt16 or MatDataType.Int32 or MatDataType.UInt32 or MatDataType.Single or MatDataType.Double
        or MatDataType.Int64 or MatDataType.UInt64;

    public static bool IsNumeric(MatClass matClass) => matClass is >= MatClass.Double and <= MatClass.UInt64;

    /// <summary>The data type a class's values are naturally stored as (mxDOUBLE_CLASS → miDOUBLE, ...).</summary>
    public static MatDataType NaturalStorage(MatClass matClass) => matClass switch
    {
        MatClass.Double => MatDataType.Double,
        MatClass.Single => MatDataType.Single,
        MatClass.Int8 => MatDataType.Int8,
        MatClass.UInt8 => MatDataType.UInt8,
        MatClass.Int16 => MatDataType.Int16,
        MatClass.UInt16 => MatDataType.UInt16,
        MatClass.Int32 => MatDataType.Int32,
        MatClass.UInt32 => MatDataType.UInt32,
        MatClass.Int64 => MatDataType.Int64,
        MatClass.UInt64 => MatDataType.UInt64,
        _ => throw new ArgumentException($"{matClass} is not a numeric class.", nameof(matClass)),
    };

    /// <summary>The .NET element type holding a numeric class's values (double for Double, sbyte for Int8, ...).</summary>
    public static Type ElementType(MatClass matClass) => matClass switch
    {
        MatClass.Double => typeof(double),
        MatClass.Single => typeof(float),
        MatClass.Int8 => typeof(sbyte),
        MatClass.UInt8 => typeof(byte),
        MatClass.Int16 => typeof(short),
        MatClass.UInt16 => typeof(ushort),
        MatClass.Int32 => typeof(int),
        MatClass.UInt32 => typeof(uint),
        MatClass.Int64 => typeof(long),
        MatClass.UInt64 => typeof(ulong),
        _ => throw new ArgumentException($"{matClass} is not a numeric class.", nameof(matClass)),
    };

    /// <summary>The numeric class whose values a .NET array holds (double[] → Double, ...), or null.</summary>
    public static MatClass? ClassOf(Type elementType) =>
        elementType == typeof(double) ? MatClass.Double
        : elementType == typeof(float) ? MatClass.Single
        : elementType == typeof(sbyte) ? MatClass.Int8
        : elementType == typeof(byte) ? MatClass.UInt8
        : elementType == typeof(short) ? MatClass.Int16
        : elementType == typeof(ushort) ? MatClass.UInt16
        : elementType == typeof(int) ? MatClass.Int32
        : elementType == typeof(uint) ? MatClass.UInt32
        : elementType == typeof(long) ? MatClass.Int64
        : elementType == typeof(ulong) ? MatClass.UInt64
        : null;

    /// <summary>MATLAB's own spelling, for messages: <c>mxDOUBLE_CLASS</c>, <c>miUINT8</c>.</summary>
    public static string Describe(MatClass matClass) => $"mx{matClass.ToString().ToUpperInvariant()}_CLASS";

    public static string Describe(MatDataType type) =>
        Enum.IsDefined(type) ? $"mi{type.ToString().ToUpperInvariant()}" : $"data type {(int)type}";
}
