using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Datasets.Imaging;

namespace Scott.Lab.Datasets.ImageNet100;

/// <summary>Options of the <c>imagenet-100</c> dataset.</summary>
public sealed class ImageNet100Options : ImageFileOptions
{
    [Required(ErrorMessage = "is required: the ImageNet folder with train/<wnid>/ and val/<wnid>/")]
    [Display(Name = "Folder")]
    [Description("ImageNet (ILSVRC-2012) folder with train/<wnid>/*.JPEG and val/<wnid>/*.JPEG: the full 1,000 classes or only the 100 of the class list.")]
    public string Root { get; set; } = "";

    [Display(Name = "Class list")]
    [Description("Text file with one WordNet id (n01558993) per line ('#' comments allowed); empty = the 100 classes of CMC's imagenet100.txt (Tian et al., 2019).")]
    public string ClassList { get; set; } = "";
}
