using System.Security.Cryptography;
using System.Text.RegularExpressions;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Engine.Analysis;
using Microsoft.Extensions.Options;
using Scott.Lab.Web.Hosting;
using Scott.Lab.Web.Features.Plugins;

namespace Scott.Lab.Web.Features.Maps;

/// <summary>
/// Images uploaded for the maps, in DATA/uploads/ and nowhere else. An upload is named by its content,
/// <c>upload-&lt;first 16 hex digits of its SHA-256&gt;</c>, so the same file uploaded twice is one image and its
/// maps stay cached. An upload must be at most <see cref="MaxBytes"/>, within <see cref="Limits"/> (its header is
/// checked before any pixel memory is allocated: a decompression bomb is a 400), and decode as an image.
/// </summary>
public sealed partial class MapUploads
{
    public const int MaxBytes = 16 << 20;
    public const string Prefix = "upload-";

    // The plugin catalog must be loaded first: SkiaSharp's native library is found through it.
    public MapUploads(PortalPaths paths, PortalPlugins plugins, IOptions<PortalOptions> options)
    {
        _ = plugins.Catalog;
        Folder = Path.Combine(paths.DataDir, "uploads");
        var o = options.Value;
        if (o.MaxUploadImageSide < 1 || o.MaxUploadImageMegapixels is < 1 or > ImageLimits.HighestMaxMegapixels)
            throw new InvalidOperationException(
                $"ScottLab:MaxUploadImageSide must be positive and ScottLab:MaxUploadImageMegapixels in 1..{ImageLimits.HighestMaxMegapixels}; got {o.MaxUploadImageSide} and {o.MaxUploadImageMegapixels}.");
        Limits = new ImageLimits(o.MaxUploadImageSide, o.MaxUploadImageMegapixels);
    }

    /// <summary>The largest image accepted (ScottLab:MaxUploadImageSide, ScottLab:MaxUploadImageMegapixels), checked from its header.</summary>
    public ImageLimits Limits { get; }

    /// <summary>DATA/uploads.</summary>
    public string Folder { get; }

    [GeneratedRegex("^upload-[0-9a-f]{16}$")]
    private static partial Regex IdPattern();

    public static bool IsUploadId(string id) => IdPattern().IsMatch(id);

    /// <summary>Stores an uploaded image; returns its id. Throws <see cref="MapException"/> (400) when it is too large or not an image.</summary>
    public async Task<string> SaveAsync(Stream content, string fileName, CancellationToken cancellationToken = default)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await content.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBytes)
                throw MapException.Invalid($"file: '{fileName}' is larger than {MaxBytes >> 20} MB; upload a smaller image.");
            buffer.Write(chunk, 0, read);
        }
        byte[] bytes = buffer.ToArray();
        if (bytes.Length == 0) throw MapException.Invalid($"file: '{fileName}' is empty; upload a JPEG, PNG, GIF, BMP or WebP image.");
        try { MapImaging.Decode(bytes, 3, $"'{fileName}'", Limits); }
        catch (DatasetException e) { throw MapException.Invalid($"file: {e.Message}"); }

        string id = Prefix + Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant()[..16];
        Directory.CreateDirectory(Folder);
        string path = Path.Combine(Folder, id);
        if (!File.Exists(path))
        {
            // Written beside and renamed, so a reader never sees half a file.
            string temp = Path.Combine(Folder, $"{id}.{Guid.NewGuid():N}.tmp");
            await File.WriteAllBytesAsync(temp, bytes, cancellationToken);
            File.Move(temp, path, overwrite: true);
        }
        return id;
    }

    /// <summary>The uploaded image <paramref name="id"/> decoded into <paramref name="channels"/>, or null when there is none.</summary>
    public ImageSample? Read(string id, int channels)
    {
        if (!IsUploadId(id)) return null; // also keeps any path out of the file name
        string path = Path.Combine(Folder, id);
        return File.Exists(path) ? MapImaging.Decode(File.ReadAllBytes(path), channels, id, Limits) : null;
    }
}
