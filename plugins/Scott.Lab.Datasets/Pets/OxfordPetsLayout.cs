using System.Globalization;
using System.Text.RegularExpressions;
using Scott.Lab.Abstractions.Data;

namespace Scott.Lab.Datasets.Pets;

/// <summary>One line of an Oxford-IIIT Pets annotation file: <c>Abyssinian_100 1 1 1</c>.</summary>
/// <param name="ImageName">File name without .jpg.</param>
/// <param name="ClassId">1-based breed class (1..37).</param>
/// <param name="Breed">The breed, from the file name: "Abyssinian", "american_bulldog".</param>
public sealed record PetsAnnotation(string ImageName, int ClassId, string Breed);

/// <summary>The files of Oxford-IIIT Pets and how their annotation lines read.</summary>
public static partial class OxfordPetsLayout
{
    public const string DownloadUrl = "https://www.robots.ox.ac.uk/~vgg/data/pets/";
    public const string ImagesFolder = "images";
    public const string AnnotationsFolder = "annotations";

    public const string ExpectedLayout =
        "Expected images/<Breed>_<n>.jpg and annotations/list.txt, annotations/trainval.txt, annotations/test.txt "
        + "(lines 'Abyssinian_100 1 1 1': image, class id, species, breed id), unpacked from images.tar.gz and "
        + "annotations.tar.gz of " + DownloadUrl;

    /// <summary>"american_bulldog_12" → "american_bulldog": the breed is the name without its trailing _number.</summary>
    [GeneratedRegex(@"^(?<breed>.+)_\d+$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberedName();

    /// <summary>Reads an annotation file: '#' lines and blank lines are skipped; other lines must start "NAME CLASS-ID".</summary>
    public static List<PetsAnnotation> ReadAnnotations(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new DatasetException($"{path} could not be read: {e.Message}", e);
        }
        var annotations = new List<PetsAnnotation>(lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            string line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var match = NumberedName().Match(fields[0]);
            if (fields.Length < 2 || !int.TryParse(fields[1], NumberStyles.None, CultureInfo.InvariantCulture, out int classId)
                || classId < 1 || !match.Success)
                throw new DatasetException(
                    $"{path}:{i + 1}: expected 'IMAGE CLASS-ID SPECIES BREED-ID' with IMAGE like Abyssinian_100 and a class id from 1, e.g. 'Abyssinian_100 1 1 1'; got '{line}'.");
            annotations.Add(new PetsAnnotation(fields[0], classId, match.Groups["breed"].Value));
        }
        return annotations;
    }
}
