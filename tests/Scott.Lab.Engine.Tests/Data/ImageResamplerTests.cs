using Scott.Lab.Engine.Data;

namespace Scott.Lab.Engine.Tests.Data;

public class ImageResamplerTests
{
    [Fact]
    public void AUniformImageKeepsItsColourAtAnySize()
    {
        var pixels = Enumerable.Range(0, 37 * 23).SelectMany(_ => new byte[] { 10, 128, 250 }).ToArray();
        foreach (int size in new[] { 8, 23, 40 })
        {
            var output = ImageResampler.ShortSideCenterCrop(pixels, 37, 23, 3, size);
            Assert.Equal(size * size * 3, output.Length);
            for (int i = 0; i < output.Length; i += 3) Assert.Equal(new byte[] { 10, 128, 250 }, output[i..(i + 3)]);
        }
    }

    [Fact]
    public void ShrinkingAveragesInsteadOfAliasing()
    {
        // A 1-pixel checkerboard shrunk 4×: an aliasing resize would give black or white, an averaging one grey.
        const int side = 64;
        var pixels = new byte[side * side];
        for (int y = 0; y < side; y++) for (int x = 0; x < side; x++) pixels[y * side + x] = (byte)((x + y) % 2 == 0 ? 255 : 0);
        var output = ImageResampler.ShortSideCenterCrop(pixels, side, side, 1, 16);
        Assert.All(output, v => Assert.InRange(v, 118, 138));
    }

    [Fact]
    public void TheShortSideIsScaledAndTheLongSideCentreCropped()
    {
        // 30 wide × 10 high: columns 10..19 are white. Scaled to short side 10 (no scaling), the centre crop is exactly them.
        var pixels = new byte[30 * 10];
        for (int y = 0; y < 10; y++) for (int x = 10; x < 20; x++) pixels[y * 30 + x] = 255;
        var output = ImageResampler.ShortSideCenterCrop(pixels, 30, 10, 1, 10);
        Assert.All(output, v => Assert.Equal(255, v));
    }
}
