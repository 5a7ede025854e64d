"""An independent PyTorch forward of the SCOTT encoder, written from the method's description (the paper's
architecture: sparse conv tokenizer with MaxBlurPool, non-affine pre-norm blocks that also normalise the residual
stream, fixed 2D sin-cos positions), for the interop tests.

It uses the reference implementation's state-dict key names only; no code of this project or of the reference.
Modes (all paths are arguments; images are raw uint8 [N, H, W, C] with H = W = img_size, so no resizing):

  check FILE.safetensors FILE.pt           both exports load (safetensors.torch.load_file when installed, else a
                                           reader of the documented format) and torch.load; prints their keys
  forward WEIGHTS[,WEIGHTS2] SIDECAR IMAGES EMBEDDINGS
                                           tokens of each exported file vs embed's tokens: prints maxdiff= per file
  make OUT.pt SIDECAR IMAGES OUT_TOKENS     random weights in the reference's layout (torch.save) and their tokens (raw float32)
"""
import json
import math
import struct
import sys

import torch
import torch.nn.functional as F


def load_safetensors(path):
    try:
        from safetensors.torch import load_file  # the official reader, when installed
        return load_file(path)
    except ImportError:
        pass
    # The documented format: u64 little-endian header length, JSON header, raw little-endian data.
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    dtypes = {"F32": torch.float32}
    out = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        t = torch.frombuffer(bytearray(data[begin:end]), dtype=dtypes[entry["dtype"]])
        out[name] = t.reshape(entry["shape"]).clone()
    return out


def sincos_2d(dim, grid):
    """Fixed 2D sin-cos position embedding: first dim/2 channels the row, last dim/2 the column, each [sin, cos]."""
    quarter = dim // 4
    omega = 1.0 / (10000 ** (torch.arange(quarter, dtype=torch.float64) / quarter))
    rows, cols = torch.meshgrid(torch.arange(grid, dtype=torch.float64), torch.arange(grid, dtype=torch.float64), indexing="ij")
    r = rows.reshape(-1, 1) * omega
    c = cols.reshape(-1, 1) * omega
    return torch.cat([torch.sin(r), torch.cos(r), torch.sin(c), torch.cos(c)], dim=1).float()


def max_blur_pool(x):
    x = F.max_pool2d(x, kernel_size=2, stride=1)
    k = torch.tensor([1.0, 2.0, 1.0])
    k = torch.outer(k, k) / 16
    channels = x.shape[1]
    return F.conv2d(x, k.expand(channels, 1, 3, 3), stride=2, padding=1, groups=channels)


def encode(sd, cfg, images):
    """Last-layer tokens, registers dropped, after a non-affine LayerNorm."""
    d = cfg["embed_dim"]
    heads = cfg["num_heads"]
    regs = cfg.get("num_register_tokens", 0)
    if cfg.get("name", cfg.get("model_name", "scott")) == "scott":
        x = F.relu(F.conv2d(images, sd["tokenizer.tokenizer.0.weight"], stride=2, padding=3))
        x = max_blur_pool(x)
        x = F.relu(F.conv2d(x, sd["tokenizer.tokenizer.3.weight"], stride=2, padding=3))
        x = max_blur_pool(x)
    else:
        p = cfg["patch_size"]
        x = F.conv2d(images, sd["tokenizer.proj.weight"], sd["tokenizer.proj.bias"], stride=p)
    x = x.flatten(2).transpose(1, 2)
    b = x.shape[0]
    if regs:
        x = torch.cat([sd["transformer.reg_embed"].expand(b, -1, -1), x], dim=1)
    x = x + sd["transformer.pos_embed"]
    for i in range(cfg["depth"]):
        pre = f"transformer.blocks.{i}."
        h = F.layer_norm(x, (d,))
        n = h.shape[1]
        qkv = (h @ sd[pre + "self_attn.qkv.weight"].T).reshape(b, n, 3, heads, d // heads).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        att = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // heads), dim=-1)
        a = (att @ v).transpose(1, 2).reshape(b, n, d) @ sd[pre + "self_attn.proj.weight"].T
        x = x + a
        x = F.layer_norm(x, (d,))
        if cfg["ffn_layer"] == "swiglu":
            u, g = (x @ sd[pre + "ffn_layer.w12.weight"].T).chunk(2, dim=-1)
            f = (F.silu(u) * g) @ sd[pre + "ffn_layer.last_linear.weight"].T
        else:
            f = F.gelu(x @ sd[pre + "ffn_layer.linear1.weight"].T) @ sd[pre + "ffn_layer.last_linear.weight"].T
        x = x + f
    return F.layer_norm(x[:, regs:], (d,))


def read_images(path, sidecar):
    cfg = sidecar["model"]
    pre = sidecar["preprocessing"]
    size, c = cfg["img_size"], cfg["in_channels"]
    raw = open(path, "rb").read()
    n = len(raw) // (size * size * c)
    x = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(n, size, size, c).permute(0, 3, 1, 2).float() / 255
    mean = torch.tensor(pre["normalize"]["mean"]).view(1, -1, 1, 1)
    std = torch.tensor(pre["normalize"]["std"]).view(1, -1, 1, 1)
    return (x - mean) / std


def main():
    mode = sys.argv[1]
    torch.set_grad_enabled(False)
    if mode == "check":
        st = load_safetensors(sys.argv[2])
        pt = torch.load(sys.argv[3])
        for name, d in (("safetensors", st), ("pytorch", pt)):
            print(name, json.dumps({k: [list(v.shape), str(v.dtype)] for k, v in d.items()}))
        return
    sidecar = json.load(open(sys.argv[3]))
    cfg = sidecar["model"]
    images = read_images(sys.argv[4], sidecar)
    if mode == "forward":
        theirs = load_safetensors(sys.argv[5])["tokens"]
        for path in sys.argv[2].split(","):
            sd = torch.load(path) if path.endswith(".pt") else load_safetensors(path)
            tokens = encode(sd, cfg, images)
            print("shape", list(tokens.shape), list(theirs.shape))
            print("maxdiff=%.3e" % (tokens - theirs).abs().max().item())
    elif mode == "make":
        torch.manual_seed(0)
        d, c, regs = cfg["embed_dim"], cfg["in_channels"], cfg.get("num_register_tokens", 0)
        hidden = 128 * round(8 * d / 3 / 128) if cfg["ffn_layer"] == "swiglu" else 4 * d
        grid = cfg["img_size"] // 16
        sd = {
            "tokenizer.tokenizer.0.weight": torch.randn(64, c, 7, 7) * math.sqrt(2 / (c * 49)),
            "tokenizer.tokenizer.3.weight": torch.randn(d, 64, 7, 7) * math.sqrt(2 / (64 * 49)),
        }
        if regs:
            sd["transformer.reg_embed"] = torch.randn(1, regs, d) * 0.02
        sd["transformer.msk_embed"] = torch.randn(1, 1, d) * 1e-6
        sd["transformer.pos_embed"] = torch.cat([torch.zeros(regs, d), sincos_2d(d, grid)], dim=0)
        for i in range(cfg["depth"]):
            pre = f"transformer.blocks.{i}."
            sd[pre + "self_attn.qkv.weight"] = torch.randn(3 * d, d) * 0.02
            sd[pre + "self_attn.proj.weight"] = torch.randn(d, d) * 0.02
            if cfg["ffn_layer"] == "swiglu":
                sd[pre + "ffn_layer.w12.weight"] = torch.randn(2 * hidden, d) * 0.02
            else:
                sd[pre + "ffn_layer.linear1.weight"] = torch.randn(hidden, d) * 0.02
            sd[pre + "ffn_layer.last_linear.weight"] = torch.randn(d, hidden) * 0.02
        torch.save(sd, sys.argv[2])
        encode(sd, cfg, images).contiguous().numpy().astype("<f4").tofile(sys.argv[5])
        print("made", len(sd), "tensors")


if __name__ == "__main__":
    main()
