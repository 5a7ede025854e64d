using System.Reflection;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Scott.Lab.Abstractions.Plugins;
using TorchSharp;

namespace Scott.Lab.Plugins.Tests;

/// <summary>
/// Compiles plugins the way a third party builds them (Roslyn, in-process): against the framework, TorchSharp and a
/// contract, which is either the host's Scott.Lab.Abstractions.dll or a stand-in for another version of it (same
/// assembly name, the types the plugin uses, in the shape that version had). Neither contract is put next to the
/// plugin: at run time the plugin binds to the host's contract, as a real one does.
/// </summary>
public static class TestPlugins
{
    /// <summary>The host's contract, as plugins built today reference it.</summary>
    public static MetadataReference CurrentContract { get; } = MetadataReference.CreateFromFile(typeof(IScottLabPlugin).Assembly.Location);

    /// <summary>
    /// A stand-in for Scott.Lab.Abstractions <paramref name="version"/> in its earlier shape (before issue 14): <c>Kind</c> on the contract
    /// (abstract on PluginBase), an <c>AugmentDefaults</c> dictionary on IObjectivePlugin, no MinimumHostVersion.
    /// Written to a folder of its own; plugins compiled against it record that assembly name and version.
    /// </summary>
    public static MetadataReference OldShapeContract(string version)
    {
        string folder = TempFolder("contract-" + version);
        string source = $$"""
            using System;
            using System.Collections.Generic;
            [assembly: System.Reflection.AssemblyVersion("{{version}}")]
            namespace Scott.Lab.Abstractions.Plugins
            {
                public enum PluginKind { Tokenizer, Objective, Dataset }
                public interface IScottLabPlugin
                {
                    string Id { get; }
                    string DisplayName { get; }
                    string Description { get; }
                    PluginKind Kind { get; }
                    string Version { get; }
                    Type OptionsType { get; }
                }
                public abstract class PluginBase<TOptions> : IScottLabPlugin where TOptions : class, new()
                {
                    public abstract string Id { get; }
                    public abstract string DisplayName { get; }
                    public abstract string Description { get; }
                    public abstract PluginKind Kind { get; }
                    public virtual string Version => "0.0.0";
                    public Type OptionsType => typeof(TOptions);
                }
                public interface IDatasetPlugin : IScottLabPlugin { Scott.Lab.Abstractions.Data.IImageDataset Open(object? options); }
                public interface IObjectivePlugin : IScottLabPlugin
                {
                    Scott.Lab.Abstractions.Objectives.ObjectiveModule Create(object? options, Scott.Lab.Abstractions.Objectives.ObjectiveContext context);
                    bool TrainsOnLabels => false;
                    IReadOnlyDictionary<string, object> AugmentDefaults => new Dictionary<string, object>();
                }
            }
            namespace Scott.Lab.Abstractions.Data { public interface IImageDataset { } }
            namespace Scott.Lab.Abstractions.Objectives
            {
                public abstract class ObjectiveModule { }
                public sealed class ObjectiveContext { }
            }
            """;
        return MetadataReference.CreateFromFile(Compile(folder, "Scott.Lab.Abstractions", source, FrameworkReferences()));
    }

    /// <summary>Compiles <paramref name="source"/> into <c>parent/name/name.dll</c> (a plugin folder's layout); returns the DLL's path.</summary>
    public static string CompilePlugin(string parent, string name, string source, MetadataReference contract) =>
        Compile(Directory.CreateDirectory(Path.Combine(parent, name)).FullName, name, source,
            [.. FrameworkReferences(), contract, MetadataReference.CreateFromFile(typeof(torch).Assembly.Location)]);

    public static string TempFolder(string prefix = "plugins")
    {
        string dir = Path.Combine(Path.GetTempPath(), "scott-lab-catalog-tests", prefix + "-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }

    private static string Compile(string folder, string assemblyName, string source, IEnumerable<MetadataReference> references)
    {
        var compilation = CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(source, new CSharpParseOptions(LanguageVersion.Latest))],
            references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        string path = Path.Combine(folder, assemblyName + ".dll");
        using var output = File.Create(path);
        var result = compilation.Emit(output);
        if (!result.Success)
            throw new InvalidOperationException($"The test assembly {assemblyName} did not compile:\n" +
                string.Join("\n", result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        return path;
    }

    private static List<MetadataReference> FrameworkReferences()
    {
        string runtime = Path.GetDirectoryName(typeof(object).Assembly.Location)!;
        return Directory.GetFiles(runtime, "*.dll").Where(IsManaged).Select(path => (MetadataReference)MetadataReference.CreateFromFile(path)).ToList();
    }

    private static bool IsManaged(string path)
    {
        try { AssemblyName.GetAssemblyName(path); return true; }
        catch (BadImageFormatException) { return false; }
    }
}
