using SkiaSharp;

namespace Scott.Lab.Cli.Benchmarks;

/// <summary>
/// Writes an ImageFolder of JPEG "photographs" (ROOT/class_k/img_i.jpg) for benchmarks: sizes vary around 500×375
/// like ImageNet's, with gradients, shapes and noise so that the JPEGs cost what real ones cost to decode.
/// SkiaSharp's managed side comes with TorchSharp; its native library is the datasets plugin's (found once the
/// plugin catalog has loaded it).
/// </summary>
public static class SyntheticImageFolder
{
    public static void Write(string root, int count, int classes, int seed, TextWriter progress)
    {
        var random = new Random(seed);
        for (int i = 0; i < count; i++)
        {
            string folder = Path.Combine(root, $"class_{i % classes:D2}");
            Directory.CreateDirectory(folder);
            string path = Path.Combine(folder, $"img_{i:D5}.jpg");
            if (File.Exists(path)) continue;
            int width = random.Next(400, 520), height = random.Next(300, 400);
            using var bitmap = new SKBitmap(width, height, SKColorType.Rgba8888, SKAlphaType.Opaque);
            using (var canvas = new SKCanvas(bitmap))
            {
                using var background = new SKPaint
                {
                    Shader = SKShader.CreateLinearGradient(new SKPoint(0, 0), new SKPoint(width, height),
                        [Colour(random), Colour(random)], SKShaderTileMode.Clamp),
                };
                canvas.DrawRect(0, 0, width, height, background);
                using var paint = new SKPaint { IsAntialias = true };
                for (int s = 0; s < 12; s++)
                {
                    paint.Color = Colour(random).WithAlpha((byte)random.Next(80, 255));
                    canvas.DrawCircle(random.Next(width), random.Next(height), random.Next(10, 120), paint);
                }
            }
            // Sensor-like noise: without it the JPEGs would be unrealistically cheap to decode.
            var pixels = bitmap.GetPixelSpan().ToArray();
            for (int p = 0; p < pixels.Length; p++) if ((p & 3) != 3) pixels[p] = (byte)Math.Clamp(pixels[p] + random.Next(-12, 13), 0, 255);
            System.Runtime.InteropServices.Marshal.Copy(pixels, 0, bitmap.GetPixels(), pixels.Length);
            using var data = bitmap.Encode(SKEncodedImageFormat.Jpeg, 90);
            using var file = File.Create(path);
            data.SaveTo(file);
            if ((i + 1) % 250 == 0 || i + 1 == count) progress.Write($"\rwriting {root}: {i + 1}/{count} JPEGs");
        }
        progress.WriteLine();
    }

    private static SKColor Colour(Random random) => new((byte)random.Next(256), (byte)random.Next(256), (byte)random.Next(256));
}
