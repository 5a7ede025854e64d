using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Datasets.Mat;

namespace Scott.Lab.Datasets.Tests;

/// <summary>The Level 5 MAT-file reader and writer, down to the bytes.</summary>
public sealed class MatFileTests : IDisposable
{
    private readonly TempFolder _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>The 128-byte header: 116 bytes of text, 8 of subsystem offset, version 0x0100, endian indicator.</summary>
    private static byte[] Header(string text, bool bigEndian = false)
    {
        var header = new byte[128];
        Encoding.ASCII.GetBytes(text.PadRight(116)).CopyTo(header, 0);
        if (bigEndian) { header[124] = 0x01; header[125] = 0x00; header[126] = (byte)'M'; header[127] = (byte)'I'; }
        else { header[124] = 0x00; header[125] = 0x01; header[126] = (byte)'I'; header[127] = (byte)'M'; }
        return header;
    }

    /// <summary>
    /// A hand-assembled little-endian file: x = [1 2 3] (1×3 double, name in the small-element format) and
    /// ab = uint8 [1 3; 2 4] (2×2, data in the small-element format).
    /// </summary>
    private static byte[] HandMadeLittleEndian() =>
    [
        .. Header("MATLAB 5.0 MAT-file, hand-made for a test"),
        // miMATRIX, 72 bytes
        0x0E, 0, 0, 0, 72, 0, 0, 0,
        //   array flags: miUINT32, 8 bytes: class 6 (mxDOUBLE_CLASS), no flags; nzmax 0
        0x06, 0, 0, 0, 8, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0, 0,
        //   dimensions: miINT32, 8 bytes: 1, 3
        0x05, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0,
        //   name, small element: 1 byte of miINT8 ("x"), padded to 4
        0x01, 0, 0x01, 0, (byte)'x', 0, 0, 0,
        //   real part: miDOUBLE, 24 bytes: 1.0, 2.0, 3.0
        0x09, 0, 0, 0, 24, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0xF0, 0x3F,
        0, 0, 0, 0, 0, 0, 0x00, 0x40,
        0, 0, 0, 0, 0, 0, 0x08, 0x40,
        // miMATRIX, 48 bytes
        0x0E, 0, 0, 0, 48, 0, 0, 0,
        //   array flags: class 9 (mxUINT8_CLASS)
        0x06, 0, 0, 0, 8, 0, 0, 0, 0x09, 0, 0, 0, 0, 0, 0, 0,
        //   dimensions 2, 2
        0x05, 0, 0, 0, 8, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0,
        //   name, small: "ab"
        0x01, 0, 0x02, 0, (byte)'a', (byte)'b', 0, 0,
        //   real part, small: 4 bytes of miUINT8, column-major 1 2 3 4
        0x02, 0, 0x04, 0, 1, 2, 3, 4,
    ];

    [Fact]
    public void Reads_a_hand_assembled_little_endian_file()
    {
        var mat = MatFile.Read(HandMadeLittleEndian(), "hand.mat");

        Assert.Equal("MATLAB 5.0 MAT-file, hand-made for a test", mat.HeaderText);
        Assert.False(mat.IsBigEndian);
        Assert.Equal(["x", "ab"], mat.Variables.Select(v => v.Name));

        var x = mat.Get("x");
        Assert.Equal(MatClass.Double, x.Class);
        Assert.Equal([1, 3], x.Dimensions);
        Assert.Equal([1.0, 2.0, 3.0], Assert.IsType<double[]>(x.Real));
        Assert.Equal([1, 2, 3], x.ToInt32s());
        Assert.False(x.IsComplex);
        Assert.Equal("hand.mat", x.Source);

        var ab = mat.Get("ab");
        Assert.Equal(MatClass.UInt8, ab.Class);
        Assert.Equal([2, 2], ab.Dimensions);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, Assert.IsType<byte[]>(ab.Real));
    }

    [Fact]
    public void Reads_a_hand_assembled_big_endian_file_with_an_int16_array()
    {
        byte[] bytes =
        [
            .. Header("MATLAB 5.0 MAT-file, big-endian", bigEndian: true),
            0, 0, 0, 0x0E, 0, 0, 0, 48,
            0, 0, 0, 0x06, 0, 0, 0, 8, 0, 0, 0, 0x0A, 0, 0, 0, 0,         // mxINT16_CLASS
            0, 0, 0, 0x05, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 2,            // 1×2
            0, 0x01, 0, 0x01, (byte)'v', 0, 0, 0,                         // small name: count 1 (upper half), miINT8
            0, 0x04, 0, 0x03, 0xFF, 0xFE, 0x01, 0x00,                     // small miINT16: -2, 256
        ];

        var mat = MatFile.Read(bytes, "be.mat");

        Assert.True(mat.IsBigEndian);
        var v = mat.Get("v");
        Assert.Equal(MatClass.Int16, v.Class);
        Assert.Equal(new short[] { -2, 256 }, Assert.IsType<short[]>(v.Real));
    }

    [Fact]
    public void Converts_values_stored_in_a_narrower_type_to_the_class_as_MATLAB_writes_them()
    {
        // MATLAB saves whole-number doubles compactly: mxDOUBLE_CLASS with the data as miUINT16. The name "trnid"
        // (5 bytes) is a normal element; the data [7 8189 300] are 6 bytes, padded to 8.
        byte[] bytes =
        [
            .. Header("MATLAB 5.0 MAT-file"),
            0x0E, 0, 0, 0, 64, 0, 0, 0,
            0x06, 0, 0, 0, 8, 0, 0, 0, 0x06, 0, 0, 0, 0, 0, 0, 0,
            0x05, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0,
            0x01, 0, 0, 0, 5, 0, 0, 0, (byte)'t', (byte)'r', (byte)'n', (byte)'i', (byte)'d', 0, 0, 0,
            0x04, 0, 0, 0, 6, 0, 0, 0, 7, 0, 0xFD, 0x1F, 0x2C, 0x01, 0, 0,
        ];

        var trnid = MatFile.Read(bytes, "setid.mat").Get("trnid");

        Assert.Equal(MatClass.Double, trnid.Class);
        Assert.Equal([7.0, 8189.0, 300.0], Assert.IsType<double[]>(trnid.Real));
    }

    [Fact]
    public void Reads_a_hand_compressed_element()
    {
        var plain = HandMadeLittleEndian();
        var firstMatrix = plain[128..(128 + 8 + 72)];
        using var zipped = new MemoryStream();
        using (var zlib = new ZLibStream(zipped, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(firstMatrix);
        var compressed = zipped.ToArray();
        var tag = new byte[8];
        BinaryPrimitives.WriteUInt32LittleEndian(tag, 15); // miCOMPRESSED
        BinaryPrimitives.WriteUInt32LittleEndian(tag.AsSpan(4), (uint)compressed.Length);
        // Compressed elements are not padded: the next element follows at once.
        byte[] bytes = [.. plain[..128], .. tag, .. compressed, .. plain[(128 + 80)..]];

        var mat = MatFile.Read(bytes, "z.mat");

        Assert.Equal([1.0, 2.0, 3.0], (double[])mat.Get("x").Real!);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, (byte[])mat.Get("ab").Real!);
    }

    [Fact]
    public void The_writer_lays_out_bytes_as_MATLAB_does()
    {
        var written = MatWriter.ToBytes(
        [
            MatArray.Numeric("x", [1, 3], new[] { 1.0, 2.0, 3.0 }),
            MatArray.Numeric("ab", [2, 2], new byte[] { 1, 2, 3, 4 }),
        ]);
        var expected = HandMadeLittleEndian();

        // Same elements byte for byte; only the header text differs.
        Assert.Equal(expected[116..], written[116..]);
        Assert.StartsWith("MATLAB 5.0 MAT-file", Encoding.ASCII.GetString(written, 0, 116));
    }

    public static TheoryData<Array> AllNumericClasses() => new()
    {
        new[] { 1.5, -2.25, double.MaxValue, 0, 1e-300, -7 },
        new[] { 1.5f, -2.25f, float.MinValue, 0, 3, 4 },
        new sbyte[] { sbyte.MinValue, -1, 0, 1, 2, sbyte.MaxValue },
        new byte[] { 0, 1, 2, 3, 200, 255 },
        new short[] { short.MinValue, -1, 0, 1, 2, short.MaxValue },
        new ushort[] { 0, 1, 2, 3, 40000, ushort.MaxValue },
        new[] { int.MinValue, -1, 0, 1, 2, int.MaxValue },
        new uint[] { 0, 1, 2, 3, 3_000_000_000, uint.MaxValue },
        new[] { long.MinValue, -1, 0, 1, 2, long.MaxValue },
        new ulong[] { 0, 1, 2, 3, 1UL << 63, ulong.MaxValue },
    };

    [Theory]
    [MemberData(nameof(AllNumericClasses))]
    public void Round_trips_every_numeric_class_plain_and_compressed(Array values)
    {
        foreach (bool compress in new[] { false, true })
        {
            var path = _temp.File($"all-{values.GetType().Name}-{compress}.mat");
            MatWriter.Write(path, [MatArray.Numeric("values", [2, 3], values)], new MatWriteOptions(Compress: compress));

            var read = MatFile.Read(path).Get("values");

            Assert.Equal(MatTypes.ClassOf(values.GetType().GetElementType()!), read.Class);
            Assert.Equal([2, 3], read.Dimensions);
            Assert.Equal(values.GetType(), read.Real!.GetType());
            Assert.Equal(values.Cast<object>(), read.Real.Cast<object>());
        }
    }

    [Fact]
    public void Round_trips_complex_logical_global_and_char_arrays()
    {
        var path = _temp.File("mixed.mat");
        MatWriter.Write(path,
        [
            MatArray.Numeric("z", [1, 2], new[] { 1.0, 3.0 }, imaginary: new[] { -2.0, 0.5 }),
            MatArray.Numeric("mask", [1, 3], new byte[] { 1, 0, 1 }, logical: true, global: true),
            MatArray.Char("title", "Flowers"),
            MatArray.Numeric("empty", [0, 0], Array.Empty<double>()),
        ], new MatWriteOptions(Compress: true));

        var mat = MatFile.Read(path);

        var z = mat.Get("z");
        Assert.True(z.IsComplex);
        Assert.Equal([-2.0, 0.5], (double[])z.Imaginary!);
        var mask = mat.Get("mask");
        Assert.True(mask.IsLogical);
        Assert.True(mask.IsGlobal);
        Assert.Equal("Flowers", mat.Get("title").Text);
        Assert.Equal(MatClass.Char, mat.Get("title").Class);
        Assert.Equal(0, mat.Get("empty").Count);
        var error = Assert.Throws<DatasetException>(() => z.ToInt32s());
        Assert.Contains("'z' is complex", error.Message);
    }

    [Fact]
    public void Compact_integers_store_whole_doubles_in_the_smallest_type()
    {
        var labels = Enumerable.Range(1, 102).Select(i => (double)i).ToArray();
        var ids = new[] { 1.0, 8189.0 };
        var bytes = MatWriter.ToBytes(
            [MatArray.Numeric("labels", [1, 102], labels), MatArray.Numeric("ids", [1, 2], ids)],
            new MatWriteOptions(CompactIntegers: true));

        // labels: class mxDOUBLE_CLASS, data miUINT8 (102 bytes). Its real part starts after tag(8)+flags(16)+dims(16)+name(16).
        int realTag = 128 + 8 + 16 + 16 + 16;
        Assert.Equal(6u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(128 + 16))); // mxDOUBLE_CLASS
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(realTag)));    // miUINT8
        Assert.Equal(102u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(realTag + 4)));

        var mat = MatFile.Read(bytes, "compact.mat");
        Assert.Equal(labels, (double[])mat.Get("labels").Real!);
        Assert.Equal(ids, (double[])mat.Get("ids").Real!);
    }

    [Fact]
    public void A_missing_variable_lists_the_ones_there()
    {
        var mat = MatFile.Read(HandMadeLittleEndian(), "hand.mat");

        var error = Assert.Throws<DatasetException>(() => mat.Get("labels"));

        Assert.Equal("hand.mat has no variable 'labels'; it holds 'x' (1×3), 'ab' (2×2).", error.Message);
    }

    [Fact]
    public void Non_integer_labels_are_refused_with_the_variable_and_index()
    {
        var mat = MatFile.Read(MatWriter.ToBytes([MatArray.Numeric("labels", [1, 3], new[] { 1.0, 2.5, 3.0 })]), "l.mat");

        var error = Assert.Throws<DatasetException>(() => mat.Get("labels").ToInt32s());

        Assert.Equal("l.mat: variable 'labels' holds 2.5 at index 1; expected whole numbers.", error.Message);
    }

    [Fact]
    public void Structs_and_cells_are_listed_but_not_read()
    {
        // A 1×1 struct with no fields: flags (class 2), dims, name; the field-name elements are simply not read.
        byte[] bytes =
        [
            .. Header("MATLAB 5.0 MAT-file"),
            0x0E, 0, 0, 0, 40, 0, 0, 0,
            0x06, 0, 0, 0, 8, 0, 0, 0, 0x02, 0, 0, 0, 0, 0, 0, 0,
            0x05, 0, 0, 0, 8, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0,
            0x01, 0, 0x01, 0, (byte)'s', 0, 0, 0,
        ];

        var s = MatFile.Read(bytes, "s.mat").Get("s");

        Assert.Equal(MatClass.Struct, s.Class);
        Assert.False(s.IsSupported);
        var error = Assert.Throws<DatasetException>(() => s.ToInt32s());
        Assert.Contains("'s' is a 1×1 mxSTRUCT_CLASS array; expected a numeric array", error.Message);
    }

    [Fact]
    public void Damaged_files_are_named_and_described()
    {
        var good = HandMadeLittleEndian();
        string Error(byte[] bytes) => Assert.Throws<DatasetException>(() => MatFile.Read(bytes, "f.mat")).Message;

        Assert.Contains("f.mat is too short to be a MAT-file: 20 bytes", Error(good[..20]));
        Assert.Contains("f.mat is not a MATLAB Level 5 MAT-file", Error([.. new byte[128], .. good[128..]]));
        Assert.Contains("MATLAB 7.3 MAT-file (HDF5)", Error([.. Header("MATLAB 7.3 MAT-file, Platform: GLNXA64"), .. new byte[400]]));
        Assert.Contains("save -v7", Error([.. Header("MATLAB 7.3 MAT-file"), .. new byte[400]]));
        Assert.Contains("miMATRIX element of 72 bytes in top level at offset 128, but only 68 bytes remain (truncated?)", Error(good[..^60]));
        Assert.Contains("but only 32 bytes remain", Error(good[..(128 + 40)]));

        var badEndian = (byte[])good.Clone();
        badEndian[126] = (byte)'X';
        Assert.Contains("endian indicator", Error(badEndian));

        byte[] badZlib = [.. good[..128], 15, 0, 0, 0, 8, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
        Assert.Contains("not valid zlib data", Error(badZlib));
    }

    [Fact]
    public void Missing_files_are_dataset_errors_naming_the_path()
    {
        var path = _temp.File("nope.mat");
        var error = Assert.Throws<DatasetException>(() => MatFile.Read(path));
        Assert.Equal($"MAT-file not found: {path}", error.Message);
    }
}
