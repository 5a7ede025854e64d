using System.Text.Json.Nodes;
using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Models;
using Scott.Lab.Abstractions.Objectives;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Engine.Config;
using Scott.Lab.Engine.Data;
using Scott.Lab.Engine.Models;
using Scott.Lab.Plugins;
using TorchSharp;

namespace Scott.Lab.Engine.Training;

/// <summary>A plugin as used by a run: enough to reproduce it.</summary>
public sealed record PluginUse(string Kind, string Id, string Version, string Sha256);

/// <summary>Everything a run needs, assembled from a config and the plugin catalog, on its device.</summary>
public sealed class AssembledRun : IDisposable
{
    /// <summary>The spec as bound: every plugin's options bound, the augmentations resolved.</summary>
    public required RunSpec Spec { get; init; }
    /// <summary>The spec's tree with every default filled in: what the run store keeps and config.yaml shows.</summary>
    public required JsonObject Resolved { get; init; }
    public required IImageDataset Dataset { get; init; }
    public required ModelFactory Models { get; init; }
    public required ObjectiveModule Objective { get; init; }
    public required PretrainingLoader Loader { get; init; }
    public required ViewAugmentation Augmentation { get; init; }
    public required Schedules Schedules { get; init; }
    public required torch.Device Device { get; init; }
    public required IReadOnlyList<PluginUse> Plugins { get; init; }
    public long TotalSteps => Schedules.TotalSteps;

    public void Dispose()
    {
        Loader.Dispose();
        Objective.Dispose();
        Dataset.Dispose();
    }
}

/// <summary>
/// Builds a run from a spec: the one way a run is assembled (CLI train, worker, eval, maps, bench). Every failure
/// is a ConfigException/PluginException/DatasetException naming its key.
/// </summary>
public static class RunBuilder
{
    /// <summary>
    /// Builds the run that <paramref name="spec"/> describes with the catalog's plugins. The spec goes through
    /// <see cref="RunSpecBinder"/> first (a spec built in code, or one bound against another catalog, included), so
    /// the objective's augmentation recipe and the plugins' option checks apply on every path; a spec the binder
    /// bound against this catalog's plugins is used as it is.
    /// </summary>
    public static AssembledRun Build(RunSpec spec, PluginCatalog catalog)
    {
        var config = spec.BoundWith is { } boundWith && boundWith.SequenceEqual(catalog.Entries)
            ? spec
            : RunSpecBinder.BindOrThrow(spec.ToTree(), catalog);
        var device = DeviceSelector.Select(config.Trainer.Device);
        if (config.Trainer.Threads > 0) torch.set_num_threads(config.Trainer.Threads);

        var datasetPlugin = catalog.Resolve<IDatasetPlugin>(config.Dataset.Id, "dataset.id");
        var tokenizerPlugin = catalog.Resolve<ITokenizerPlugin>(config.Tokenizer.Id, "tokenizer.id");
        var objectivePlugin = catalog.Resolve<IObjectivePlugin>(config.Objective.Id, "objective.id");
        object datasetOptions = config.Dataset.Bound!, tokenizerOptions = config.Tokenizer.Bound!, objectiveOptions = config.Objective.Bound!;

        var dataset = datasetPlugin.Open(datasetOptions);
        try
        {
            var loader = CreateLoader(config, dataset, objectivePlugin);
            long totalSteps = config.Trainer.Steps ?? (long)config.Trainer.Epochs * loader.StepsPerEpoch;
            var schedules = new Schedules(config.Optimizer, totalSteps, loader.StepsPerEpoch);

            var tokenizerContext = new TokenizerContext(config.Model.ImageSize, dataset.Channels, config.Model.Width);
            TokenizerModule CreateTokenizer()
            {
                try { return tokenizerPlugin.Create(tokenizerOptions, tokenizerContext); }
                catch (ArgumentException e) { throw new ConfigException($"tokenizer.options: {e.Message}"); }
            }

            // Same seed, same initial weights.
            torch.manual_seed(config.Trainer.Seed);
            var models = new ModelFactory(CreateTokenizer, config.Model);
            ObjectiveModule objective;
            try { objective = objectivePlugin.Create(objectiveOptions, new ObjectiveContext(models, totalSteps, dataset.ClassNames.Count, config.Trainer.Seed, config.Model.ImageSize, dataset.Channels)); }
            catch (ArgumentException e) { throw new ConfigException($"objective: {e.Message}"); }
            objective.to(device);

            return new AssembledRun
            {
                Spec = config,
                Resolved = config.ToTree(),
                Dataset = dataset,
                Models = models,
                Objective = objective,
                Loader = loader,
                Augmentation = new ViewAugmentation(config.Model.ImageSize, dataset.Mean, dataset.Std, config.Augment!),
                Schedules = schedules,
                Device = device,
                Plugins = new IScottLabPlugin[] { datasetPlugin, tokenizerPlugin, objectivePlugin }
                    .Select(p => new PluginUse(PluginCatalog.KindOf(p)!.Value.ToString().ToLowerInvariant(), p.Id, p.Version, catalog.EntryFor(p)?.Sha256 ?? ""))
                    .ToList(),
            };
        }
        catch
        {
            dataset.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Self-supervised objectives see the pre-training splits; objectives that learn from labels see the labelled
    /// training images that a probe would get (the validation split held out, trainer.labels_per_class applied).
    /// </summary>
    private static PretrainingLoader CreateLoader(RunSpec config, IImageDataset dataset, IObjectivePlugin objective)
    {
        var trainer = config.Trainer;
        if (!objective.TrainsOnLabels)
        {
            if (trainer.LabelsPerClass is not null)
                throw new ConfigException($"trainer.labels_per_class: objective '{objective.Id}' does not train on labels; remove the key (it applies to label-trained objectives such as 'supervised').");
            return new PretrainingLoader(dataset, trainer.BatchSize, trainer.Seed, LoadSize(config));
        }
        if (dataset.ClassNames.Count == 0)
            throw new ConfigException($"objective.id: '{objective.Id}' trains on labels, but dataset '{config.Dataset.Id}' has none.");
        var splits = Evaluation.LabelSplits.For(dataset, trainer.LabelsPerClass, trainer.LabelSeed);
        return new PretrainingLoader(dataset, [new LoaderSource(splits.Train, Labelled: true)], trainer.BatchSize, trainer.Seed, LoadSize(config));
    }

    /// <summary>Photographs are loaded at 8/7 of the model's input (256 for 224), the usual resize before a crop.</summary>
    public static int LoadSize(RunSpec config) => (int)Math.Round(config.Model.ImageSize * 8 / 7.0);
}
