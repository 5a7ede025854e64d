using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Datasets.Imaging;

namespace Scott.Lab.Datasets.Flowers102;

/// <summary>Options of the <c>flowers-102</c> dataset.</summary>
public sealed class Flowers102Options : ImageFileOptions
{
    [Required(ErrorMessage = "is required: the folder with jpg/, imagelabels.mat and setid.mat (" + Flowers102Layout.DownloadUrl + ")")]
    [Display(Name = "Folder")]
    [Description("Folder with jpg/image_00001.jpg … jpg/image_08189.jpg, imagelabels.mat and setid.mat, as downloaded from " + Flowers102Layout.DownloadUrl + ".")]
    public string Root { get; set; } = "";
}
