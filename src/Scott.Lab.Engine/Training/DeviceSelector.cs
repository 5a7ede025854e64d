using Scott.Lab.Engine.Config;
using TorchSharp;

namespace Scott.Lab.Engine.Training;

/// <summary>Turns trainer.device (auto | cpu | cuda) into a torch device, with a clear error where CUDA is missing.</summary>
public static class DeviceSelector
{
    public static torch.Device Select(string requested) => requested switch
    {
        "cpu" => torch.CPU,
        "cuda" when torch.cuda.is_available() => torch.CUDA,
        "cuda" => throw new ConfigException(
            "trainer.device: cuda was requested but no CUDA device is available. This build uses the " +
            (IsCudaBuild ? "CUDA backend, but no GPU or driver was found" : "CPU backend; rebuild with -p:TorchBackend=cuda on a machine with an NVIDIA GPU") +
            ", or use --device cpu / auto."),
        "auto" => torch.cuda.is_available() ? torch.CUDA : torch.CPU,
        _ => throw new ConfigException($"trainer.device: must be auto, cpu or cuda, got '{requested}'"),
    };

    private static bool IsCudaBuild => File.Exists(Path.Combine(AppContext.BaseDirectory, "libtorch_cuda.so"))
        || Directory.EnumerateFiles(AppContext.BaseDirectory, "libtorch_cuda.so", SearchOption.AllDirectories).Any();
}
