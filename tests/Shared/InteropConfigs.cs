namespace Scott.Lab.Tests.Shared;

/// <summary>Run configs the interop tests of the CLI and of the portal share.</summary>
public static class InteropConfigs
{
    /// <summary>A plain ViT (patch 7 on the 28 px sample, a 4x4 grid), SwiGLU (hidden 128), one block.</summary>
    public const string TinyVit = """
        name: vit-interop
        dataset:
          id: fashion-mnist-sample
        tokenizer:
          id: patch
          options:
            patch_size: 7
        objective:
          id: mim-jepa
          options:
            predictor_depth: 1
        model:
          image_size: 28
          width: 32
          depth: 1
          heads: 2
          ffn: swiglu
          dropout: 0.0
          attn_dropout: 0.0
          drop_path: 0.0
        trainer:
          steps: 1
          batch_size: 8
        """;
}
