using System.Buffers;
using System.Text;

namespace Scott.Lab.Web.Hosting;

/// <summary>
/// Reads a JSON request body with the checks System.Text.Json leaves to the caller: a size limit
/// (<see cref="PortalOptions.MaxJsonBodyKilobytes"/>: 400) and strict UTF-8 (400). JsonNode parses lazily, so invalid
/// UTF-8 inside a string would otherwise only throw later, where it is read, as a 500.
/// </summary>
public static class JsonBody
{
    /// <summary>Why a body was refused: the status (400: too large, or not UTF-8) and a message naming the fix.</summary>
    public sealed record Problem(int Status, string Message);

    /// <summary>The body's bytes (valid UTF-8, at most the limit), or the problem with it.</summary>
    public static async Task<(byte[]? Bytes, Problem? Problem)> ReadAsync(HttpContext context, int maxKilobytes)
    {
        long max = (long)Math.Max(1, maxKilobytes) * 1024;
        var tooLarge = new Problem(StatusCodes.Status400BadRequest, // 400 as the API promises for every bad body (the upload endpoint keeps 413)
            $"the body is larger than {maxKilobytes} KB (the setting ScottLab:MaxJsonBodyKilobytes); a run spec is a few KB: send less.");
        if (context.Request.ContentLength > max) return (null, tooLarge);

        var buffer = new ArrayBufferWriter<byte>(4096);
        var stream = context.Request.Body;
        while (true)
        {
            var memory = buffer.GetMemory(16 * 1024);
            int read = await stream.ReadAsync(memory, context.RequestAborted);
            if (read == 0) break;
            buffer.Advance(read);
            if (buffer.WrittenCount > max) return (null, tooLarge);
        }

        if (InvalidUtf8At(buffer.WrittenSpan) is { } offset)
            return (null, new Problem(StatusCodes.Status400BadRequest, $"is not valid UTF-8 (at byte {offset}): send JSON encoded as UTF-8."));
        return (buffer.WrittenSpan.ToArray(), null);
    }

    /// <summary>The offset of the first byte that is not valid UTF-8, or null.</summary>
    public static long? InvalidUtf8At(ReadOnlySpan<byte> bytes)
    {
        if (System.Text.Unicode.Utf8.IsValid(bytes)) return null;
        var chars = new char[Encoding.UTF8.GetMaxCharCount(bytes.Length)];
        System.Text.Unicode.Utf8.ToUtf16(bytes, chars, out int read, out _, replaceInvalidSequences: false);
        return read;
    }
}
