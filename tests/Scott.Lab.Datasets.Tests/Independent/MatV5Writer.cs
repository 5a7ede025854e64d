using System.IO.Compression;
using System.Text;

namespace Scott.Lab.Datasets.Tests.Independent;

/// <summary>How the real part of a double row vector is stored in a MAT v5 file.</summary>
internal enum MatRealStorage
{
    /// <summary>miDOUBLE data, 8 bytes a value (scipy.io.savemat, and MATLAB for non-integer data).</summary>
    Double,

    /// <summary>
    /// MATLAB's own space saving: an mxDOUBLE_CLASS array whose values are all small non-negative integers is written
    /// with its data element typed miUINT8 (all ≤ 255) or miUINT16 (all ≤ 65535); readers convert back to double.
    /// </summary>
    NarrowedInteger,
}

/// <summary>
/// A minimal, independent writer of MATLAB Level 5 MAT-files (the format of the MAT-File Format reference, R2024):
/// a 128-byte header (116 bytes of text, 8 bytes of subsystem offset, version 0x0100, endian indicator 'IM' as
/// written by a little-endian machine), then one data element per variable. Each variable here is a 1×N real
/// <c>double</c> array (mxDOUBLE_CLASS), as the Oxford Flowers files hold; it is written either as a bare miMATRIX
/// element (-v6, scipy's default) or wrapped in an miCOMPRESSED element holding a zlib stream (-v7, MATLAB's default).
/// </summary>
internal sealed class MatV5Writer
{
    private const int MiInt8 = 1, MiUInt8 = 2, MiUInt16 = 4, MiInt32 = 5, MiUInt32 = 6, MiDouble = 9, MiMatrix = 14, MiCompressed = 15;
    private const uint MxDoubleClass = 6;

    private readonly MemoryStream _elements = new();

    public MatV5Writer AddRowVector(string name, IReadOnlyList<int> values, bool compress, MatRealStorage storage = MatRealStorage.Double)
    {
        var matrix = MatrixElement(name, values, storage);
        using var w = new BinaryWriter(_elements, Encoding.ASCII, leaveOpen: true);
        if (!compress)
        {
            w.Write(matrix);
            return this;
        }
        var z = new MemoryStream();
        using (var zlib = new ZLibStream(z, CompressionLevel.Optimal, leaveOpen: true))
            zlib.Write(matrix);
        var zbytes = z.ToArray();
        // MATLAB writes the compressed element's byte count and no padding after the zlib stream.
        w.Write(MiCompressed);
        w.Write(zbytes.Length);
        w.Write(zbytes);
        return this;
    }

    public byte[] ToArray()
    {
        var file = new MemoryStream();
        using var w = new BinaryWriter(file, Encoding.ASCII, leaveOpen: true);
        var text = "MATLAB 5.0 MAT-file, Platform: GLNXA64, Created on: Thu Feb 19 15:43:33 2009".PadRight(116, ' ');
        w.Write(Encoding.ASCII.GetBytes(text));
        w.Write(new byte[8]);                 // subsystem data offset: unused
        w.Write((ushort)0x0100);              // version
        w.Write((byte)'I'); w.Write((byte)'M'); // endian indicator "MI" written as a little-endian int16
        w.Write(_elements.ToArray());
        w.Flush();
        return file.ToArray();
    }

    public void Save(string path) => File.WriteAllBytes(path, ToArray());

    private static byte[] MatrixElement(string name, IReadOnlyList<int> values, MatRealStorage storage)
    {
        var sub = new MemoryStream();
        using (var w = new BinaryWriter(sub, Encoding.ASCII, leaveOpen: true))
        {
            // Array flags: miUINT32, 8 bytes: class in the low byte, flags (complex/global/logical) in the next; nzmax.
            w.Write(MiUInt32); w.Write(8); w.Write(MxDoubleClass); w.Write(0u);
            // Dimensions: miINT32 1×N.
            w.Write(MiInt32); w.Write(8); w.Write(1); w.Write(values.Count);
            // Array name: miINT8, padded to 8 bytes (names here are longer than 4, so not the small element format).
            var nameBytes = Encoding.ASCII.GetBytes(name);
            if (nameBytes.Length <= 4) throw new ArgumentException("short names would need the small data element format");
            w.Write(MiInt8); w.Write(nameBytes.Length); w.Write(nameBytes); Pad(w, nameBytes.Length);
            // Real part.
            if (storage == MatRealStorage.Double)
            {
                w.Write(MiDouble); w.Write(values.Count * 8);
                foreach (var v in values) w.Write((double)v);
            }
            else if (values.Max() <= byte.MaxValue && values.Min() >= 0)
            {
                if (values.Count <= 4) throw new ArgumentException("too short: would need the small data element format");
                w.Write(MiUInt8); w.Write(values.Count);
                foreach (var v in values) w.Write((byte)v);
                Pad(w, values.Count);
            }
            else
            {
                if (values.Count <= 2) throw new ArgumentException("too short: would need the small data element format");
                w.Write(MiUInt16); w.Write(values.Count * 2);
                foreach (var v in values) w.Write(checked((ushort)v));
                Pad(w, values.Count * 2);
            }
        }
        var content = sub.ToArray();
        var element = new MemoryStream();
        using (var w = new BinaryWriter(element, Encoding.ASCII, leaveOpen: true))
        {
            w.Write(MiMatrix); w.Write(content.Length); w.Write(content);
        }
        return element.ToArray();
    }

    private static void Pad(BinaryWriter w, int length)
    {
        for (var i = length; i % 8 != 0; i++) w.Write((byte)0);
    }
}
