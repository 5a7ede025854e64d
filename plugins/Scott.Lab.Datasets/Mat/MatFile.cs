using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Mat;

/// <summary>
/// A MATLAB Level 5 MAT-file (what MATLAB writes with <c>save -v6</c> or <c>-v7</c>, and scipy with <c>savemat</c>):
/// a 128-byte header (116 bytes of text, 8 of subsystem offset, version 0x0100, endian indicator "IM"/"MI"), then
/// data elements. Each element is an 8-byte tag (uint32 type, uint32 byte count) followed by its data padded to
/// 8 bytes, or, in the small-element format, one 8-byte word: uint16 byte count, uint16 type, up to 4 data bytes.
/// Top-level elements are <c>miMATRIX</c> (array flags, dimensions, name, real and imaginary parts) or
/// <c>miCOMPRESSED</c> (one zlib-compressed element, not padded). Numeric and char arrays are read; values are
/// converted from the stored type (MATLAB stores whole-number doubles as miUINT8, miUINT16, ...) to the array's
/// class. Version 7.3 files are HDF5 and are refused with a message saying so.
/// </summary>
public sealed class MatFile
{
    public const int HeaderLength = 128;
    private const int TextLength = 116;

    private readonly Dictionary<string, MatArray> _byName;

    private MatFile(string name, string headerText, bool bigEndian, List<MatArray> variables)
    {
        Name = name;
        HeaderText = headerText;
        IsBigEndian = bigEndian;
        Variables = variables;
        _byName = new Dictionary<string, MatArray>(StringComparer.Ordinal);
        foreach (var variable in variables) _byName.TryAdd(variable.Name, variable);
    }

    /// <summary>Path or name the file was read from.</summary>
    public string Name { get; }

    /// <summary>The descriptive text of the header ("MATLAB 5.0 MAT-file, Platform: ..."), trailing blanks removed.</summary>
    public string HeaderText { get; }
    public bool IsBigEndian { get; }
    public IReadOnlyList<MatArray> Variables { get; }

    /// <summary>Reads a MAT-file; every problem is a <see cref="DatasetException"/> that names the file.</summary>
    public static MatFile Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new DatasetException($"MAT-file not found: {path}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{path} could not be read: {e.Message}", e);
        }
        return Read(bytes, path);
    }

    /// <summary>Reads a MAT-file held in memory; <paramref name="name"/> is used in messages.</summary>
    public static MatFile Read(byte[] bytes, string name)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(name);
        return new Parser(bytes, name).Parse();
    }

    /// <summary>The variable called <paramref name="variable"/>, or null.</summary>
    public MatArray? Find(string variable) => _byName.GetValueOrDefault(variable);

    /// <summary>The variable called <paramref name="variable"/>, or a DatasetException naming the file and listing what it holds.</summary>
    public MatArray Get(string variable) =>
        Find(variable) ?? throw new DatasetException(
            $"{Name} has no variable '{variable}'; it holds "
            + (Variables.Count == 0 ? "no variables" : string.Join(", ", Variables.Select(v => $"'{v.Name}' ({v.Shape})")))
            + ".");

    private sealed class Parser(byte[] file, string name)
    {
        private bool _bigEndian;

        public MatFile Parse()
        {
            string headerText = ReadHeader();
            var variables = new List<MatArray>();
            int pos = HeaderLength;
            while (pos < file.Length)
            {
                if (file.Length - pos < 8)
                {
                    // Some writers pad the file; anything else after the last element is damage.
                    if (file.AsSpan(pos).IndexOfAnyExcept((byte)0) < 0) break;
                    throw Corrupt($"has {file.Length - pos} stray bytes at offset {pos}, too few for a data element");
                }
                var tag = ReadTag(file, pos, file.Length, "top level");
                MatArray? array = tag.Type switch
                {
                    MatDataType.Matrix => ParseMatrix(file, tag, $"element at offset {pos}"),
                    MatDataType.Compressed => ParseCompressed(tag, pos),
                    _ => throw Corrupt($"has a {MatTypes.Describe(tag.Type)} element at offset {pos}; top-level elements must be miMATRIX or miCOMPRESSED"),
                };
                // Nameless arrays are subsystem data (MATLAB objects), not variables.
                if (array is not null && array.Name.Length > 0)
                {
                    array.Source = name;
                    variables.Add(array);
                }
                pos = tag.Next;
            }
            return new MatFile(name, headerText, _bigEndian, variables);
        }

        private string ReadHeader()
        {
            if (LooksLikeHdf5At(0)) throw Unsupported("is an HDF5 file");
            if (file.Length < HeaderLength)
                throw new DatasetException(
                    $"{name} is too short to be a MAT-file: {file.Length} bytes; a Level 5 MAT-file starts with a {HeaderLength}-byte header.");
            string text = Encoding.ASCII.GetString(file, 0, TextLength).TrimEnd(' ', '\0');
            if (text.StartsWith("MATLAB 7.3", StringComparison.Ordinal) || LooksLikeHdf5At(512))
                throw Unsupported("is a MATLAB 7.3 MAT-file (HDF5)");
            if (!text.StartsWith("MATLAB", StringComparison.Ordinal))
                throw new DatasetException(
                    $"{name} is not a MATLAB Level 5 MAT-file: its header does not start with \"MATLAB\" (Level 4 MAT-files have no such header and are not supported).");

            _bigEndian = (file[126], file[127]) switch
            {
                ((byte)'I', (byte)'M') => false,
                ((byte)'M', (byte)'I') => true,
                var (a, b) => throw Corrupt($"has endian indicator 0x{a:X2}{b:X2} at offset 126; expected \"IM\" (little-endian) or \"MI\" (big-endian)"),
            };
            ushort version = U16(file, 124);
            if (version != 0x0100)
                throw Corrupt($"has header version 0x{version:X4}; Level 5 MAT-files have 0x0100");
            return text;
        }

        /// <summary>v7.3 files are HDF5 with a 512-byte user block: the HDF5 signature follows it.</summary>
        private bool LooksLikeHdf5At(int offset) =>
            file.Length >= offset + Hdf5Signature.Length && file.AsSpan(offset, Hdf5Signature.Length).SequenceEqual(Hdf5Signature);

        private MatArray? ParseCompressed(Tag tag, int offset)
        {
            byte[] inflated;
            try
            {
                using var input = new MemoryStream(file, tag.DataStart, tag.Length, writable: false);
                using var zlib = new ZLibStream(input, CompressionMode.Decompress);
                using var output = new MemoryStream();
                zlib.CopyTo(output);
                inflated = output.ToArray();
            }
            catch (InvalidDataException e)
            {
                throw Corrupt($"has a miCOMPRESSED element at offset {offset} that is not valid zlib data ({e.Message})");
            }
            string context = $"compressed element at offset {offset}";
            var inner = ReadTag(inflated, 0, inflated.Length, context);
            if (inner.Type != MatDataType.Matrix)
                throw Corrupt($"has a {context} holding {MatTypes.Describe(inner.Type)}; expected miMATRIX");
            return ParseMatrix(inflated, inner, context);
        }

        /// <summary>The array in a miMATRIX element; null for an empty element (MATLAB writes those for empty cells).</summary>
        private MatArray? ParseMatrix(byte[] buffer, Tag matrix, string context)
        {
            if (matrix.Length == 0) return null;
            int pos = matrix.DataStart, end = matrix.DataStart + matrix.Length;

            var flagsTag = ReadTag(buffer, pos, end, context + " (array flags)");
            if (flagsTag.Type != MatDataType.UInt32 || flagsTag.Length != 8)
                throw Corrupt($"has a {context} whose array flags are {flagsTag.Length} bytes of {MatTypes.Describe(flagsTag.Type)}; expected 8 bytes of miUINT32");
            uint flags = U32(buffer, flagsTag.DataStart);
            var matClass = (MatClass)(flags & 0xFF);
            bool complex = (flags & 0x0800) != 0, global = (flags & 0x0400) != 0, logical = (flags & 0x0200) != 0;
            if (!Enum.IsDefined(matClass))
                throw Corrupt($"has a {context} of unknown array class {flags & 0xFF}");
            pos = flagsTag.Next;

            var dimsTag = ReadTag(buffer, pos, end, context + " (dimensions)");
            if (dimsTag.Type != MatDataType.Int32 || dimsTag.Length % 4 != 0 || dimsTag.Length < 8)
                throw Corrupt($"has a {context} whose dimensions are {dimsTag.Length} bytes of {MatTypes.Describe(dimsTag.Type)}; expected at least two miINT32 values");
            var dims = new int[dimsTag.Length / 4];
            for (int i = 0; i < dims.Length; i++)
            {
                dims[i] = (int)U32(buffer, dimsTag.DataStart + 4 * i);
                if (dims[i] < 0) throw Corrupt($"has a {context} with negative dimension {dims[i]}");
            }
            pos = dimsTag.Next;

            var nameTag = ReadTag(buffer, pos, end, context + " (array name)");
            if (nameTag.Type is not (MatDataType.Int8 or MatDataType.UInt8 or MatDataType.Utf8))
                throw Corrupt($"has a {context} whose name is {MatTypes.Describe(nameTag.Type)}; expected miINT8");
            string arrayName = Encoding.UTF8.GetString(buffer, nameTag.DataStart, nameTag.Length);
            context = $"variable '{arrayName}'";
            pos = nameTag.Next;

            long count = dims.Aggregate(1L, (product, d) => product * d);
            if (MatTypes.IsNumeric(matClass))
            {
                var realTag = ReadTag(buffer, pos, end, context + " (real part)");
                var real = ReadNumbers(buffer, realTag, matClass, count, context);
                Array? imaginary = null;
                if (complex)
                {
                    var imagTag = ReadTag(buffer, realTag.Next, end, context + " (imaginary part)");
                    imaginary = ReadNumbers(buffer, imagTag, matClass, count, context + " (imaginary part)");
                }
                return MatArray.Numeric(arrayName, dims, real, imaginary, logical && matClass == MatClass.UInt8, global);
            }
            if (matClass == MatClass.Char)
            {
                var textTag = ReadTag(buffer, pos, end, context + " (characters)");
                string text = ReadText(buffer, textTag, context);
                if (text.Length != count)
                    throw Corrupt($"has {context} with dimensions {string.Join("×", dims)} ({count} characters) but {text.Length} characters of data");
                return MatArray.Char(arrayName, dims, text, global);
            }
            return MatArray.Unread(arrayName, matClass, dims, global);
        }

        private Array ReadNumbers(byte[] buffer, Tag tag, MatClass matClass, long count, string context)
        {
            if (!MatTypes.IsNumeric(tag.Type))
                throw Corrupt($"stores {context} as {MatTypes.Describe(tag.Type)}; expected a numeric type");
            int size = MatTypes.SizeOf(tag.Type);
            if (tag.Length % size != 0 || tag.Length / size != count)
                throw Corrupt($"declares {count} elements for {context} but stores {tag.Length} bytes of {MatTypes.Describe(tag.Type)} ({(double)tag.Length / size} elements)");
            var target = Array.CreateInstance(MatTypes.ElementType(matClass), (int)count);
            for (int i = 0; i < count; i++)
            {
                int at = tag.DataStart + i * size;
                object value = tag.Type is MatDataType.Double or MatDataType.Single
                    ? ConvertFloat(tag.Type == MatDataType.Double ? F64(buffer, at) : F32(buffer, at), matClass, context)
                    : ConvertInteger(ReadInteger(buffer, at, tag.Type), matClass, tag.Type, context);
                target.SetValue(value, i);
            }
            return target;
        }

        private Int128 ReadInteger(byte[] buffer, int at, MatDataType type) => type switch
        {
            MatDataType.Int8 => (sbyte)buffer[at],
            MatDataType.UInt8 => buffer[at],
            MatDataType.Int16 => (short)U16(buffer, at),
            MatDataType.UInt16 => U16(buffer, at),
            MatDataType.Int32 => (int)U32(buffer, at),
            MatDataType.UInt32 => U32(buffer, at),
            MatDataType.Int64 => (long)U64(buffer, at),
            MatDataType.UInt64 => U64(buffer, at),
            _ => throw new ArgumentOutOfRangeException(nameof(type)),
        };

        private object ConvertInteger(Int128 value, MatClass matClass, MatDataType stored, string context)
        {
            try
            {
                // Each arm boxes its own type: without the casts the switch would widen them all to double.
                return matClass switch
                {
                    MatClass.Double => (object)(double)value,
                    MatClass.Single => (object)(float)value,
                    MatClass.Int8 => (object)checked((sbyte)value),
                    MatClass.UInt8 => (object)checked((byte)value),
                    MatClass.Int16 => (object)checked((short)value),
                    MatClass.UInt16 => (object)checked((ushort)value),
                    MatClass.Int32 => (object)checked((int)value),
                    MatClass.UInt32 => (object)checked((uint)value),
                    MatClass.Int64 => (object)checked((long)value),
                    MatClass.UInt64 => (object)checked((ulong)value),
                    _ => throw new ArgumentOutOfRangeException(nameof(matClass)),
                };
            }
            catch (OverflowException)
            {
                throw Corrupt($"stores {value} as {MatTypes.Describe(stored)} in {context}, which does not fit its class {MatTypes.Describe(matClass)}");
            }
        }

        private object ConvertFloat(double value, MatClass matClass, string context)
        {
            if (matClass == MatClass.Double) return value;
            if (matClass == MatClass.Single) return (float)value;
            if (!double.IsInteger(value))
                throw Corrupt($"stores {value} in {context}, an integer array of class {MatTypes.Describe(matClass)}");
            return ConvertInteger((Int128)value, matClass, MatDataType.Double, context);
        }

        private string ReadText(byte[] buffer, Tag tag, string context)
        {
            var bytes = buffer.AsSpan(tag.DataStart, tag.Length);
            return tag.Type switch
            {
                MatDataType.Utf8 => Encoding.UTF8.GetString(bytes),
                MatDataType.UInt8 or MatDataType.Int8 => Encoding.Latin1.GetString(bytes),
                MatDataType.UInt16 or MatDataType.Utf16 => (_bigEndian ? Encoding.BigEndianUnicode : Encoding.Unicode).GetString(bytes),
                MatDataType.Utf32 => new UTF32Encoding(_bigEndian, false).GetString(bytes),
                _ => throw Corrupt($"stores the characters of {context} as {MatTypes.Describe(tag.Type)}; expected miUINT16 or miUTF8"),
            };
        }

        /// <summary>Reads the tag at <paramref name="pos"/>; the element must end by <paramref name="end"/>.</summary>
        private Tag ReadTag(byte[] buffer, int pos, int end, string context)
        {
            if (end - pos < 8)
                throw Corrupt($"ends inside {context}: a data element tag needs 8 bytes, {Math.Max(0, end - pos)} left at offset {pos}");
            uint first = U32(buffer, pos);
            if ((first >> 16) != 0)
            {
                // Small data element: byte count in the upper 16 bits, type in the lower, data in the next 4 bytes.
                int small = (int)(first >> 16);
                if (small > 4)
                    throw Corrupt($"has a small data element of {small} bytes in {context} at offset {pos}; at most 4 fit");
                return new Tag((MatDataType)(first & 0xFFFF), small, pos + 4, pos + 8);
            }
            var type = (MatDataType)first;
            uint length = U32(buffer, pos + 4);
            if (length > (uint)(end - pos - 8))
                throw Corrupt($"has a {MatTypes.Describe(type)} element of {length} bytes in {context} at offset {pos}, but only {end - pos - 8} bytes remain (truncated?)");
            int dataStart = pos + 8;
            // Compressed elements are not padded; the others are padded to 8 bytes (tolerated missing at the very end).
            long next = type == MatDataType.Compressed ? dataStart + length : dataStart + ((length + 7L) & ~7L);
            return new Tag(type, (int)length, dataStart, (int)Math.Min(next, end));
        }

        private ushort U16(byte[] b, int at) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(at));
        private uint U32(byte[] b, int at) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt32LittleEndian(b.AsSpan(at));
        private ulong U64(byte[] b, int at) => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(at));
        private float F32(byte[] b, int at) => _bigEndian ? BinaryPrimitives.ReadSingleBigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadSingleLittleEndian(b.AsSpan(at));
        private double F64(byte[] b, int at) => _bigEndian ? BinaryPrimitives.ReadDoubleBigEndian(b.AsSpan(at)) : BinaryPrimitives.ReadDoubleLittleEndian(b.AsSpan(at));

        private DatasetException Corrupt(string what) => new($"{name} is not a valid MAT-file: it {what}.");

        private DatasetException Unsupported(string what) =>
            new($"{name} {what}, which this reader does not support; save it as a Level 5 MAT-file (MATLAB: save -v7; scipy: savemat).");
    }

    private static readonly byte[] Hdf5Signature = [0x89, (byte)'H', (byte)'D', (byte)'F', 0x0D, 0x0A, 0x1A, 0x0A];

    private readonly record struct Tag(MatDataType Type, int Length, int DataStart, int Next);
}
