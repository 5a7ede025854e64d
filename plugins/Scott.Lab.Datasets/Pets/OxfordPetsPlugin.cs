using Scott.Lab.Abstractions.Data;
using Scott.Lab.Abstractions.Plugins;
using Scott.Lab.Datasets.Imaging;

namespace Scott.Lab.Datasets.Pets;

/// <summary>
/// Oxford-IIIT Pets (Parkhi et al., 2012): 7,349 annotated photographs of 37 cat and dog breeds, with the official
/// split of 3,680 trainval and 3,669 test images. Read from <c>images/*.jpg</c> and the annotation files
/// <c>annotations/{list,trainval,test}.txt</c>. Class names are the breeds as the file names spell them
/// ("Abyssinian", "american_bulldog"); class ids come from the annotations (1-based, label = id − 1).
/// Pre-training uses trainval and test.
/// </summary>
public sealed class OxfordPetsPlugin : PluginBase<OxfordPetsOptions>, IDatasetPlugin
{
    public override string Id => "oxford-pets";
    public override string DisplayName => "Oxford-IIIT Pets";
    public override string Description =>
        "Oxford-IIIT Pets: 7,349 photographs of 37 cat and dog breeds (trainval 3,680 / test 3,669). Layout: "
        + "ROOT/images/<Breed>_<n>.jpg, ROOT/annotations/{list,trainval,test}.txt (" + OxfordPetsLayout.DownloadUrl + ").";

    public IImageDataset Open(object? options)
    {
        var typed = Typed(options);
        const string name = "Oxford-IIIT Pets";
        string layout = OxfordPetsLayout.ExpectedLayout;
        string root = DatasetFolder.RequireRoot(typed.Root, name, layout);
        string images = DatasetFolder.RequireFolder(Path.Combine(root, OxfordPetsLayout.ImagesFolder), name, layout);
        string annotations = DatasetFolder.RequireFolder(Path.Combine(root, OxfordPetsLayout.AnnotationsFolder), name, layout);
        string trainvalPath = DatasetFolder.RequireFile(Path.Combine(annotations, "trainval.txt"), name, layout);
        string testPath = DatasetFolder.RequireFile(Path.Combine(annotations, "test.txt"), name, layout);
        string listPath = DatasetFolder.RequireFile(Path.Combine(annotations, "list.txt"), name, layout);

        // list.txt annotates every image; trainval.txt and test.txt must agree with it on each breed's class id.
        var breeds = new Dictionary<int, (string Breed, string Where)>();
        void Learn(IEnumerable<PetsAnnotation> lines, string path)
        {
            foreach (var a in lines)
            {
                if (!breeds.TryGetValue(a.ClassId, out var known)) breeds[a.ClassId] = (a.Breed, path);
                else if (known.Breed != a.Breed)
                    throw new DatasetException(
                        $"{path}: {a.ImageName} gives class id {a.ClassId} to breed '{a.Breed}', but {known.Where} gives it to '{known.Breed}'.");
            }
        }
        var trainval = OxfordPetsLayout.ReadAnnotations(trainvalPath);
        var test = OxfordPetsLayout.ReadAnnotations(testPath);
        Learn(OxfordPetsLayout.ReadAnnotations(listPath), listPath);
        Learn(trainval, trainvalPath);
        Learn(test, testPath);
        if (breeds.Count == 0)
            throw new DatasetException($"{name}: {listPath}, {trainvalPath} and {testPath} list no images. {layout}");

        int classCount = breeds.Keys.Max();
        var classNames = Enumerable.Range(1, classCount)
            .Select(id => breeds.TryGetValue(id, out var b) ? b.Breed : $"class_{id:D2}") // only a partial copy has gaps
            .ToList();

        ImageSplitSpec Split(string splitName, SplitRole role, List<PetsAnnotation> lines) =>
            new(splitName, role, lines.Select(a => new LabeledFile(Path.Combine(images, a.ImageName + ".jpg"), a.ClassId - 1)).ToList());

        return ImageFileDataset.Open(
            $"{name} from {root}", classNames,
            [Split("trainval", SplitRole.Train, trainval), Split("test", SplitRole.Test, test)],
            ["trainval", "test"], typed, root, layout);
    }
}
