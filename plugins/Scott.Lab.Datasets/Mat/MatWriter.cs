using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Scott.Lab.Datasets.Mat;

/// <summary>How <see cref="MatWriter"/> lays out each variable.</summary>
/// <param name="Compress">Wrap each variable in a zlib <c>miCOMPRESSED</c> element (MATLAB's -v7 default).</param>
/// <param name="CompactIntegers">
/// Store whole-number double arrays as the smallest integer type that holds them (miUINT8, miUINT16, miINT16, miINT32),
/// as MATLAB does; the class stays mxDOUBLE_CLASS.
/// </param>
public sealed record MatWriteOptions(bool Compress = false, bool CompactIntegers = false);

/// <summary>
/// Writes little-endian Level 5 MAT-files of numeric and char arrays, in the layout MATLAB uses: 4-byte names and
/// data in the small-element format, other elements padded to 8 bytes, compressed elements unpadded. Small on
/// purpose: it exists to make fixtures that <see cref="MatFile"/> (and MATLAB or scipy) can read.
/// </summary>
public static class MatWriter
{
    public static void Write(string path, IEnumerable<MatArray> arrays, MatWriteOptions? options = null) =>
        File.WriteAllBytes(path, ToBytes(arrays, options));

    public static byte[] ToBytes(IEnumerable<MatArray> arrays, MatWriteOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        options ??= new MatWriteOptions();
        using var output = new MemoryStream();
        output.Write(Header());
        foreach (var array in arrays)
        {
            var matrix = MatrixElement(array, options.CompactIntegers);
            if (!options.Compress)
            {
                output.Write(matrix);
                continue;
            }
            using var compressed = new MemoryStream();
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(matrix);
            WriteTag(output, MatDataType.Compressed, (int)compressed.Length);
            compressed.Position = 0;
            compressed.CopyTo(output); // no padding after compressed elements, as MATLAB writes them
        }
        return output.ToArray();
    }

    private static byte[] Header()
    {
        var header = new byte[MatFile.HeaderLength];
        var text = Encoding.ASCII.GetBytes("MATLAB 5.0 MAT-file, written by Scott.Lab".PadRight(116));
        text.CopyTo(header, 0);
        // Bytes 116..123: subsystem data offset, none (zeros).
        BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(124), 0x0100);
        header[126] = (byte)'I';
        header[127] = (byte)'M';
        return header;
    }

    private static byte[] MatrixElement(MatArray array, bool compactIntegers)
    {
        if (!array.IsSupported)
            throw new ArgumentException($"Variable '{array.Name}' is {MatTypes.Describe(array.Class)}; only numeric and char arrays can be written.");
        using var body = new MemoryStream();

        uint flags = (uint)array.Class | (array.IsComplex ? 0x0800u : 0) | (array.IsGlobal ? 0x0400u : 0) | (array.IsLogical ? 0x0200u : 0);
        var flagBytes = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(flagBytes, flags);
        WriteElement(body, MatDataType.UInt32, flagBytes);

        var dims = new byte[4 * array.Dimensions.Count];
        for (int i = 0; i < array.Dimensions.Count; i++) BinaryPrimitives.WriteInt32LittleEndian(dims.AsSpan(4 * i), array.Dimensions[i]);
        WriteElement(body, MatDataType.Int32, dims);
        WriteElement(body, MatDataType.Int8, Encoding.ASCII.GetBytes(array.Name));

        if (array.Text is { } text)
        {
            WriteElement(body, MatDataType.UInt16, Encoding.Unicode.GetBytes(text));
        }
        else
        {
            var storage = StorageFor(array, compactIntegers);
            WriteElement(body, storage, Encode(array.Real!, storage));
            if (array.Imaginary is { } imaginary) WriteElement(body, storage, Encode(imaginary, storage));
        }

        using var element = new MemoryStream();
        WriteTag(element, MatDataType.Matrix, (int)body.Length);
        body.Position = 0;
        body.CopyTo(element);
        return element.ToArray();
    }

    private static MatDataType StorageFor(MatArray array, bool compactIntegers)
    {
        var natural = MatTypes.NaturalStorage(array.Class);
        if (!compactIntegers || array.Class != MatClass.Double) return natural;
        var values = array.ToDoubles().Concat(array.Imaginary is null ? [] : ((double[])array.Imaginary)).ToList();
        if (values.Any(v => !double.IsInteger(v))) return natural;
        double min = values.Count == 0 ? 0 : values.Min(), max = values.Count == 0 ? 0 : values.Max();
        return (min, max) switch
        {
            ( >= 0, <= byte.MaxValue) => MatDataType.UInt8,
            ( >= 0, <= ushort.MaxValue) => MatDataType.UInt16,
            ( >= short.MinValue, <= short.MaxValue) => MatDataType.Int16,
            ( >= int.MinValue, <= int.MaxValue) => MatDataType.Int32,
            _ => natural,
        };
    }

    private static byte[] Encode(Array values, MatDataType storage)
    {
        int size = MatTypes.SizeOf(storage);
        var bytes = new byte[values.Length * size];
        for (int i = 0; i < values.Length; i++)
        {
            var span = bytes.AsSpan(i * size);
            object value = values.GetValue(i)!;
            switch (storage)
            {
                case MatDataType.Double: BinaryPrimitives.WriteDoubleLittleEndian(span, Convert.ToDouble(value)); break;
                case MatDataType.Single: BinaryPrimitives.WriteSingleLittleEndian(span, Convert.ToSingle(value)); break;
                case MatDataType.Int8: span[0] = (byte)Convert.ToSByte(value); break;
                case MatDataType.UInt8: span[0] = Convert.ToByte(value); break;
                case MatDataType.Int16: BinaryPrimitives.WriteInt16LittleEndian(span, Convert.ToInt16(value)); break;
                case MatDataType.UInt16: BinaryPrimitives.WriteUInt16LittleEndian(span, Convert.ToUInt16(value)); break;
                case MatDataType.Int32: BinaryPrimitives.WriteInt32LittleEndian(span, Convert.ToInt32(value)); break;
                case MatDataType.UInt32: BinaryPrimitives.WriteUInt32LittleEndian(span, Convert.ToUInt32(value)); break;
                case MatDataType.Int64: BinaryPrimitives.WriteInt64LittleEndian(span, Convert.ToInt64(value)); break;
                case MatDataType.UInt64: BinaryPrimitives.WriteUInt64LittleEndian(span, Convert.ToUInt64(value)); break;
                default: throw new ArgumentOutOfRangeException(nameof(storage));
            }
        }
        return bytes;
    }

    /// <summary>An element in the small format when its data fit in 4 bytes (and are not empty), else tag + data + padding.</summary>
    private static void WriteElement(Stream output, MatDataType type, byte[] data)
    {
        if (data.Length is > 0 and <= 4)
        {
            var word = new byte[8];
            BinaryPrimitives.WriteUInt32LittleEndian(word, ((uint)data.Length << 16) | (uint)type);
            data.CopyTo(word, 4);
            output.Write(word);
            return;
        }
        WriteTag(output, type, data.Length);
        output.Write(data);
        output.Write(new byte[(8 - data.Length % 8) % 8]);
    }

    private static void WriteTag(Stream output, MatDataType type, int length)
    {
        Span<byte> tag = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(tag, (uint)type);
        BinaryPrimitives.WriteUInt32LittleEndian(tag[4..], (uint)length);
        output.Write(tag);
    }
}
