using System.IO.Compression;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Scott.Lab.Abstractions.Plugins;
using TorchSharp;

namespace Scott.Lab.Web.Tests.Plugins;

/// <summary>
/// A plugin built outside this repository, the way a third party would: C# source compiled in a temp folder against
/// nothing but the framework, Scott.Lab.Abstractions.dll and TorchSharp.dll (neither copied next to it: the host
/// shares them). It is a dataset plugin, <c>external-stripes</c> (striped images, horizontal = class 0, vertical =
/// class 1) with an options class, split over two assemblies, <c>ExternalStripes.dll</c> and its dependency
/// <c>ExternalStripes.Patterns.dll</c>, so that loading a plugin's own dependencies from its folder is exercised too.
/// Built once per test run (Roslyn, in-process: about a second).
/// </summary>
public static class ExternalPlugin
{
    public const string Id = "external-stripes";
    public const string Name = "ExternalStripes";
    public const string DependencyName = "ExternalStripes.Patterns";
    public const string Version = "1.4.2";

    private static readonly Lazy<string> Built = new(Build, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The folder with ExternalStripes.dll and ExternalStripes.Patterns.dll (read-only: copy it).</summary>
    public static string BuildFolder => Built.Value;

    /// <summary>Copies the plugin into <c>parent/ExternalStripes/</c>, the layout a plugin folder has; returns that folder.</summary>
    public static string CopyPluginFolderTo(string parent, string? folderName = null)
    {
        string folder = Path.Combine(parent, folderName ?? Name);
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(BuildFolder))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
        return folder;
    }

    /// <summary>Zips the plugin folder's files (at the zip's root) into <paramref name="zipPath"/>.</summary>
    public static string Zip(string zipPath, bool insideFolder = false)
    {
        if (File.Exists(zipPath)) File.Delete(zipPath);
        using var zip = ZipFile.Open(zipPath, ZipArchiveMode.Create);
        foreach (var file in Directory.GetFiles(BuildFolder))
            zip.CreateEntryFromFile(file, (insideFolder ? Name + "/" : "") + Path.GetFileName(file));
        return zipPath;
    }

    /// <summary>Compiles one more plugin assembly from <paramref name="source"/> into <paramref name="folder"/> (e.g. a broken one).</summary>
    public static string CompileInto(string folder, string assemblyName, string source)
    {
        Directory.CreateDirectory(folder);
        return Compile(folder, assemblyName, source, [.. FrameworkReferences(), .. ContractReferences()]);
    }

    private static IEnumerable<MetadataReference> FrameworkReferences()
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Directory.GetFiles(runtime, "*.dll").Where(IsManaged).Select(path => MetadataReference.CreateFromFile(path));
    }

    private static IEnumerable<MetadataReference> ContractReferences() =>
        new[] { typeof(IScottLabPlugin).Assembly.Location, typeof(torch).Assembly.Location }.Select(path => MetadataReference.CreateFromFile(path));

    private static string Build()
    {
        string folder = Path.Combine(Path.GetTempPath(), "scott-lab-external-plugin-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(folder);
        AppDomain.CurrentDomain.ProcessExit += (_, _) => TempFolder.TryDelete(folder);
        var framework = FrameworkReferences().ToList();
        var contract = ContractReferences();

        string dependency = Compile(folder, DependencyName, PatternsSource, framework);
        Compile(folder, Name, PluginSource, [.. framework, .. contract, MetadataReference.CreateFromFile(dependency)]);
        return folder;
    }

    private static string Compile(string folder, string assemblyName, string source, IEnumerable<MetadataReference> references)
    {
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        string path = Path.Combine(folder, assemblyName + ".dll");
        using (var output = File.Create(path))
        {
            var result = compilation.Emit(output);
            if (!result.Success)
                throw new InvalidOperationException($"The external test plugin {assemblyName} did not compile:\n" +
                    string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        }
        return path;
    }

    private static bool IsManaged(string path)
    {
        try { System.Reflection.AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }

    private const string PatternsSource = """
        namespace ExternalStripes.Patterns;

        public static class Stripes
        {
            /// <summary>A size×size grayscale image: stripes of the given period, horizontal or vertical, shifted by phase.</summary>
            public static byte[] Draw(int size, bool vertical, int period, int phase)
            {
                var pixels = new byte[size * size];
                for (int y = 0; y < size; y++)
                    for (int x = 0; x < size; x++)
                    {
                        int t = (vertical ? x : y) + phase;
                        pixels[y * size + x] = (byte)((t / period) % 2 == 0 ? 230 : 25);
                    }
                return pixels;
            }
        }
        """;

    private const string PluginSource = """
        using System;
        using System.Collections.Generic;
        using System.ComponentModel.DataAnnotations;
        using System.Reflection;
        using Scott.Lab.Abstractions.Data;
        using Scott.Lab.Abstractions.Plugins;
        using ExternalStripes.Patterns;

        [assembly: AssemblyVersion("1.4.2.0")]

        namespace ExternalStripes;

        public sealed class StripesOptions
        {
            [Range(8, 100_000)] public int Count { get; set; } = 256;
            [Range(8, 512)] public int Size { get; set; } = 28;
            [Range(2, 16)] public int Period { get; set; } = 4;
        }

        public sealed class StripesDatasetPlugin : PluginBase<StripesOptions>, IDatasetPlugin
        {
            public override string Id => "external-stripes";
            public override string DisplayName => "Stripes (external)";
            public override string Description => "Horizontal (0) and vertical (1) stripes; built outside Scott.Lab.";
            public IImageDataset Open(object? options) => new StripesDataset(Typed(options));
        }

        internal sealed class StripesDataset(StripesOptions options) : IImageDataset
        {
            public string Description => $"{options.Count} stripe images of {options.Size} px";
            public int Channels => 1;
            public IReadOnlyList<float> Mean { get; } = [0.5f];
            public IReadOnlyList<float> Std { get; } = [0.4f];
            public IReadOnlyList<string> ClassNames { get; } = ["horizontal", "vertical"];
            public IReadOnlyList<DatasetSplit> Splits => [Train, Test];
            public IReadOnlyList<DatasetSplit> PretrainingSplits => [Train];
            public (int Width, int Height)? FixedSize => (options.Size, options.Size);
            private DatasetSplit Train => new("train", SplitRole.Train, new Images(options, options.Count, 0));
            private DatasetSplit Test => new("test", SplitRole.Test, new Images(options, Math.Max(8, options.Count / 4), 1_000_000));
            public void Dispose() { }
        }

        internal sealed class Images(StripesOptions options, int count, int offset) : IImageSource
        {
            public int Count => count;
            public int LabelAt(int index) => (index + offset) % 2;
            public ImageSample Read(int index)
            {
                int label = LabelAt(index);
                var pixels = Stripes.Draw(options.Size, vertical: label == 1, options.Period, phase: (index + offset) / 2 % options.Period);
                return new ImageSample(pixels, options.Size, options.Size, 1, label);
            }
        }
        """;
}
