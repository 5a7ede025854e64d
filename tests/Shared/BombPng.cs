using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace Scott.Lab.Tests.Shared;

/// <summary>
/// A header-only decompression bomb (issue 15): the PNG signature, an IHDR declaring <c>width</c>×<c>height</c>
/// 8-bit RGB (60000×60000 by default: 14.4 GB as RGBA), an IDAT holding a few bytes of deflate, and IEND, each chunk
/// with a valid CRC, so that a codec accepts the header. Under 100 bytes. Shared by the test projects (linked).
/// </summary>
public static class BombPng
{
    public static byte[] Create(int width = 60000, int height = 60000)
    {
        using var compressed = new MemoryStream();
        using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true)) zlib.Write(new byte[16]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // colour type: RGB
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Chunk(png, "IHDR", ihdr);
        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>Writes one PNG chunk: length, type, data, CRC-32 of type and data.</summary>
    public static void Chunk(Stream png, string type, ReadOnlySpan<byte> data)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, data.Length);
        Encoding.ASCII.GetBytes(type).CopyTo(header, 4);
        png.Write(header);
        png.Write(data);
        uint crc = ~Crc32(data, Crc32(header.AsSpan(4), 0xFFFFFFFF));
        Span<byte> crcBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(crcBytes, crc);
        png.Write(crcBytes);
    }

    private static uint Crc32(ReadOnlySpan<byte> bytes, uint crc)
    {
        foreach (byte b in bytes)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        return crc;
    }
}
