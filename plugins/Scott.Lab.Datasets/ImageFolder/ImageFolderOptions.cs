using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Scott.Lab.Datasets.Imaging;

namespace Scott.Lab.Datasets.ImageFolder;

/// <summary>Options of the <c>image-folder</c> dataset.</summary>
public sealed class ImageFolderOptions : ImageFileOptions
{
    [Required(ErrorMessage = "is required: a folder with one subfolder of images per class")]
    [Display(Name = "Folder")]
    [Description("Folder with ROOT/<class>/<image> (one split, train), or with ROOT/train/<class>/<image> and optionally ROOT/val/<class>/ and ROOT/test/<class>/.")]
    public string Root { get; set; } = "";
}
