using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Engine.Evaluation;

/// <summary>A list of images of one source, chosen by index (a carved split or a label budget).</summary>
public sealed class SubsetSource(IImageSource source, IReadOnlyList<int> indices) : IImageSource
{
    public IReadOnlyList<int> Indices => indices;
    public int Count => indices.Count;
    public int LabelAt(int index) => source.LabelAt(indices[index]);
    public ImageSample Read(int index) => source.Read(indices[index]);
}

/// <summary>The labelled splits a probe (or a supervised baseline) uses, and where the validation split came from.</summary>
public sealed record ProbeSplits(IImageSource Train, IImageSource Validation, IImageSource Test, string ValidationOrigin);

/// <summary>
/// Which labels a probe may use. Model selection needs a validation split, and it must never be the test split:
/// datasets that define one (Flowers-102) use it, the others get one carved from their training labels,
/// stratified and fixed by the seed. A label budget (labels per class) is then drawn from what is left, so the
/// same (seed, budget) always means the same images, for the probe and the supervised baseline alike.
/// </summary>
public static class LabelSplits
{
    public const double ValidationFraction = 0.1;

    public static ProbeSplits For(IImageDataset dataset, int? labelsPerClass, int seed)
    {
        if (dataset.ClassNames.Count == 0)
            throw new DatasetException($"{dataset.Description} has no class labels, so it cannot be used to evaluate or to train with labels.");
        var train = Single(dataset, SplitRole.Train);
        var test = Single(dataset, SplitRole.Test);
        var given = dataset.Splits.FirstOrDefault(s => s.Role == SplitRole.Validation);

        IImageSource trainPool, validation;
        string origin;
        if (given is not null)
        {
            (trainPool, validation) = (train.Images, given.Images);
            origin = $"the dataset's own '{given.Name}' split";
        }
        else
        {
            var (rest, carved) = Carve(train.Images, ValidationFraction, seed);
            (trainPool, validation) = (new SubsetSource(train.Images, rest), new SubsetSource(train.Images, carved));
            origin = $"{ValidationFraction:P0} of '{train.Name}', stratified, seed {seed}";
        }
        if (labelsPerClass is { } perClass)
            trainPool = new SubsetSource(trainPool, PerClass(trainPool, perClass, seed));
        return new ProbeSplits(trainPool, validation, test.Images, origin);
    }

    /// <summary>Stratified split of a source into (rest, held out): per class, a seeded shuffle, the first fraction held out.</summary>
    public static (int[] Remaining, int[] HeldOut) Carve(IImageSource source, double fraction, int seed)
    {
        var rest = new List<int>();
        var heldOut = new List<int>();
        foreach (var (_, members) in ByClass(source, Enumerable.Range(0, source.Count), seed, stream: 1))
        {
            int take = (int)Math.Round(members.Count * fraction);
            heldOut.AddRange(members.Take(take));
            rest.AddRange(members.Skip(take));
        }
        rest.Sort();
        heldOut.Sort();
        return (rest.ToArray(), heldOut.ToArray());
    }

    /// <summary>Positions (into <paramref name="source"/>) of up to <paramref name="perClass"/> images of each class.</summary>
    public static int[] PerClass(IImageSource source, int perClass, int seed)
    {
        if (perClass <= 0) throw new ArgumentOutOfRangeException(nameof(perClass), $"labels per class must be positive, got {perClass}.");
        var chosen = new List<int>();
        foreach (var (label, members) in ByClass(source, Enumerable.Range(0, source.Count), seed, stream: 2))
        {
            if (members.Count < perClass)
                throw new DatasetException($"Class {label} has only {members.Count} training images left after the validation split; ask for at most {members.Count} labels per class.");
            chosen.AddRange(members.Take(perClass));
        }
        chosen.Sort();
        return chosen.ToArray();
    }

    private static IEnumerable<(int Label, List<int> Members)> ByClass(IImageSource source, IEnumerable<int> positions, int seed, int stream)
    {
        var groups = positions.GroupBy(source.LabelAt).Where(g => g.Key >= 0).OrderBy(g => g.Key);
        foreach (var group in groups)
        {
            var members = group.ToArray();
            // Seeded per class, so adding a class to a dataset does not reshuffle the others.
            new Random(HashCode32(seed, group.Key, stream)).Shuffle(members);
            yield return (group.Key, members.ToList());
        }
    }

    private static int HashCode32(int seed, int label, int stream) =>
        Abstractions.Objectives.StepSeed.For(seed, label, 100 + stream);

    private static DatasetSplit Single(IImageDataset dataset, SplitRole role) =>
        dataset.Splits.FirstOrDefault(s => s.Role == role) ?? throw new DatasetException(
            $"{dataset.Description} has no {role.ToString().ToLowerInvariant()} split (it has: {string.Join(", ", dataset.Splits.Select(s => $"{s.Name} ({s.Role})"))}); a probe needs a train and a test split.");
}
