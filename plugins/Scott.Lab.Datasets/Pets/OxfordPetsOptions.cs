using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Datasets.Imaging;

namespace Scott.Lab.Datasets.Pets;

/// <summary>Options of the <c>oxford-pets</c> dataset.</summary>
public sealed class OxfordPetsOptions : ImageFileOptions
{
    [Required(ErrorMessage = "is required: the folder with images/ and annotations/ (" + OxfordPetsLayout.DownloadUrl + ")")]
    [Display(Name = "Folder")]
    [Description("Folder with images/*.jpg and annotations/{list,trainval,test}.txt, as unpacked from images.tar.gz and annotations.tar.gz of " + OxfordPetsLayout.DownloadUrl + ".")]
    public string Root { get; set; } = "";
}
