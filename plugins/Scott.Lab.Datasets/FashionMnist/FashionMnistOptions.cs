using System.ComponentModel;
using System.ComponentModel.DataAnnotations;

namespace Scott.Lab.Datasets.FashionMnist;

/// <summary>Options of the <c>fashion-mnist</c> dataset.</summary>
public sealed class FashionMnistOptions
{
    public const string DefaultRoot = "/usr/share/datasets/fashion-mnist";

    [Required]
    [Display(Name = "Folder")]
    [Description("Folder with train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each gzipped (.gz) or plain. Debian: apt-get install dataset-fashion-mnist.")]
    public string Root { get; set; } = DefaultRoot;

    [Required]
    [AllowedValues(FashionMnistLayout.PretrainOnAll, FashionMnistLayout.PretrainOnTrain)]
    [Display(Name = "Pre-train on")]
    [Description(FashionMnistLayout.PretrainOnDescription)]
    public string PretrainOn { get; set; } = FashionMnistLayout.PretrainOnAll;
}

/// <summary>Options of the <c>fashion-mnist-sample</c> dataset (the data ship with the plugin, so there is no folder).</summary>
public sealed class FashionMnistSampleOptions
{
    [Required]
    [AllowedValues(FashionMnistLayout.PretrainOnAll, FashionMnistLayout.PretrainOnTrain)]
    [Display(Name = "Pre-train on")]
    [Description(FashionMnistLayout.PretrainOnDescription)]
    public string PretrainOn { get; set; } = FashionMnistLayout.PretrainOnAll;
}
