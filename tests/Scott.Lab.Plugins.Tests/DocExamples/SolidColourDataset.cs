using System;
using System.Collections.Generic;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;

namespace Scott.Lab.Plugins.Tests.DocExamples;

// The dataset example of docs/plugins.md: a synthetic dataset with no files, one solid colour per class.
// It is compiled into the tests and, on its own, as a third-party plugin DLL (DocExampleTests).

/// <summary>Options of the <c>solid-colour</c> dataset: keys <c>images_per_class</c> and <c>image_size</c>.</summary>
public sealed class SolidColourOptions
{
    [Range(1, 10_000)]
    [Display(Name = "Images per class")]
    [Description("Training images per colour; the test split has a quarter as many (at least 1).")]
    public int ImagesPerClass { get; set; } = 64;

    [Range(8, 1024)]
    [Display(Name = "Image size")]
    [Description("Side in pixels of the square images.")]
    public int ImageSize { get; set; } = 32;
}

/// <summary>Square RGB images of one colour each, the colour being the class; brightness varies with the index.</summary>
public sealed class SolidColourDataset : PluginBase<SolidColourOptions>, IDatasetPlugin
{
    public override string Id => "solid-colour";
    public override string DisplayName => "Solid colours (synthetic)";
    public override string Description => "Square RGB images of one colour each (red, green, blue); the colour is the label.";

    public IImageDataset Open(object? options)
    {
        var typed = Typed(options);
        return new Opened(typed.ImagesPerClass, typed.ImageSize);
    }

    private sealed class Opened : IImageDataset
    {
        public Opened(int perClass, int size)
        {
            var train = new DatasetSplit("train", SplitRole.Train, new Source(perClass, size, seed: 0));
            var test = new DatasetSplit("test", SplitRole.Test, new Source(Math.Max(1, perClass / 4), size, seed: 1));
            Splits = [train, test];
            PretrainingSplits = [train];
            FixedSize = (size, size);
        }

        public string Description => "Solid colours (synthetic)";
        public int Channels => 3;
        public IReadOnlyList<float> Mean { get; } = [0.25f, 0.25f, 0.25f];
        public IReadOnlyList<float> Std { get; } = [0.35f, 0.35f, 0.35f];
        public IReadOnlyList<string> ClassNames { get; } = ["red", "green", "blue"];
        public IReadOnlyList<DatasetSplit> Splits { get; }
        public IReadOnlyList<DatasetSplit> PretrainingSplits { get; }
        public (int Width, int Height)? FixedSize { get; }
        public void Dispose() { }
    }

    /// <summary>Image i is a pure function of (i, seed): the same on every read, from any thread.</summary>
    private sealed class Source(int perClass, int size, int seed) : IImageSource
    {
        public int Count => 3 * perClass;
        public int LabelAt(int index) => index % 3;

        public ImageSample Read(int index)
        {
            if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index));
            int label = LabelAt(index);
            byte value = (byte)(128 + (index * 37 + seed * 11) % 128); // 128..255
            var pixels = new byte[size * size * 3];                  // HWC, row-major
            for (int p = label; p < pixels.Length; p += 3) pixels[p] = value;
            return new ImageSample(pixels, size, size, 3, label);
        }
    }
}
