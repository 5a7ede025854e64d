using System.Diagnostics;
using System.Text;
using Scott.Lab.Build;

namespace Scott.Lab.Engine.Tests.Build;

public sealed class ElfVersionNeedPatcherTests : IDisposable
{
    private const string Version = "GLIBCXX_3.4.32";
    private const ushort Weak = 0x2;
    private readonly string _dir = Directory.CreateTempSubdirectory("scott-lab-elf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // ---- a synthetic ELF64 LE file: header, .dynstr, .gnu.version_r, section headers ----

    private sealed record Aux(string Name, ushort Flags);

    private sealed record Need(string File, params Aux[] Auxes);

    /// <summary>Builds a minimal ELF64 LE file; returns the bytes and, per vernaux, the offset of its vna_flags.</summary>
    private static (byte[] Bytes, List<(string Name, int FlagsAt)> Flags) BuildElf(params Need[] needs)
    {
        // .dynstr
        var strings = new MemoryStream();
        strings.WriteByte(0);
        var offsets = new Dictionary<string, int>();
        int Str(string s)
        {
            if (offsets.TryGetValue(s, out int o)) return o;
            o = (int)strings.Length;
            strings.Write(Encoding.ASCII.GetBytes(s + "\0"));
            offsets[s] = o;
            return o;
        }
        foreach (var need in needs) { Str(need.File); foreach (var aux in need.Auxes) Str(aux.Name); }
        byte[] dynstr = strings.ToArray();

        const int headerSize = 64;
        int dynstrOffset = headerSize;
        int verneedOffset = Align(dynstrOffset + dynstr.Length, 8);
        int verneedSize = needs.Sum(n => 16 + 16 * n.Auxes.Length);
        int shoff = Align(verneedOffset + verneedSize, 8);
        const int shnum = 3;
        var elf = new byte[shoff + shnum * 64];

        // ELF header
        elf[0] = 0x7f; elf[1] = (byte)'E'; elf[2] = (byte)'L'; elf[3] = (byte)'F';
        elf[4] = 2; elf[5] = 1; elf[6] = 1;
        W16(elf, 0x10, 3);      // ET_DYN
        W16(elf, 0x12, 62);     // EM_X86_64
        W32(elf, 0x14, 1);
        W64(elf, 0x28, (ulong)shoff);
        W16(elf, 0x34, headerSize);
        W16(elf, 0x3A, 64);
        W16(elf, 0x3C, shnum);
        W16(elf, 0x3E, 0);

        Array.Copy(dynstr, 0, elf, dynstrOffset, dynstr.Length);

        // .gnu.version_r: Verneed { u16 version, u16 cnt, u32 file, u32 aux, u32 next }, Vernaux { u32 hash, u16 flags, u16 other, u32 name, u32 next }
        var flags = new List<(string, int)>();
        int at = verneedOffset;
        ushort other = 2;
        for (int n = 0; n < needs.Length; n++)
        {
            var need = needs[n];
            int entrySize = 16 + 16 * need.Auxes.Length;
            W16(elf, at, 1);
            W16(elf, at + 2, (ushort)need.Auxes.Length);
            W32(elf, at + 4, (uint)Str(need.File));
            W32(elf, at + 8, 16);
            W32(elf, at + 12, n + 1 < needs.Length ? (uint)entrySize : 0);
            for (int a = 0; a < need.Auxes.Length; a++)
            {
                int aux = at + 16 + 16 * a;
                W32(elf, aux, 0x08922974u + (uint)a);   // any hash
                W16(elf, aux + 4, need.Auxes[a].Flags);
                W16(elf, aux + 6, other++);
                W32(elf, aux + 8, (uint)Str(need.Auxes[a].Name));
                W32(elf, aux + 12, a + 1 < need.Auxes.Length ? 16u : 0u);
                flags.Add((need.Auxes[a].Name, aux + 4));
            }
            at += entrySize;
        }

        // Section headers: [0] null, [1] .dynstr (SHT_STRTAB), [2] .gnu.version_r (SHT_GNU_verneed, link 1, info = count)
        int sh1 = shoff + 64, sh2 = shoff + 128;
        W32(elf, sh1 + 4, 3);
        W64(elf, sh1 + 0x18, (ulong)dynstrOffset);
        W64(elf, sh1 + 0x20, (ulong)dynstr.Length);
        W64(elf, sh1 + 0x30, 1);
        W32(elf, sh2 + 4, 0x6ffffffe);
        W64(elf, sh2 + 0x08, 2); // SHF_ALLOC
        W64(elf, sh2 + 0x18, (ulong)verneedOffset);
        W64(elf, sh2 + 0x20, (ulong)verneedSize);
        W32(elf, sh2 + 0x28, 1);
        W32(elf, sh2 + 0x2C, (uint)needs.Length);
        W64(elf, sh2 + 0x30, 8);
        return (elf, flags);
    }

    private static int Align(int value, int to) => (value + to - 1) / to * to;
    private static void W16(byte[] b, int o, int v) { b[o] = (byte)v; b[o + 1] = (byte)(v >> 8); }
    private static void W32(byte[] b, int o, uint v) { for (int i = 0; i < 4; i++) b[o + i] = (byte)(v >> (8 * i)); }
    private static void W64(byte[] b, int o, ulong v) { for (int i = 0; i < 8; i++) b[o + i] = (byte)(v >> (8 * i)); }
    private static ushort R16(byte[] b, int o) => (ushort)(b[o] | (b[o + 1] << 8));

    private static int[] Differences(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        return Enumerable.Range(0, a.Length).Where(i => a[i] != b[i]).ToArray();
    }

    [Fact]
    public void Synthetic_elf_only_the_named_versions_flags_change()
    {
        var (elf, flags) = BuildElf(new Need("libstdc++.so.6", new Aux("GLIBCXX_3.4", 0), new Aux(Version, 0)));
        var original = (byte[])elf.Clone();

        Assert.Equal(ElfPatchResult.Patched, ElfVersionNeedPatcher.MarkWeak(elf, Version));

        int flagsAt = flags.Single(f => f.Name == Version).FlagsAt;
        Assert.Equal(new[] { flagsAt }, Differences(original, elf));
        Assert.Equal(Weak, R16(elf, flagsAt));
        Assert.Equal(0, R16(elf, flags.Single(f => f.Name == "GLIBCXX_3.4").FlagsAt));
    }

    [Fact]
    public void Synthetic_elf_patch_keeps_other_flag_bits_and_is_idempotent()
    {
        var (elf, flags) = BuildElf(new Need("libstdc++.so.6", new Aux(Version, 0x1), new Aux("GLIBCXX_3.4", 0)));
        var original = (byte[])elf.Clone();
        int flagsAt = flags.Single(f => f.Name == Version).FlagsAt;

        Assert.Equal(ElfPatchResult.Patched, ElfVersionNeedPatcher.MarkWeak(elf, Version));
        Assert.Equal(0x1 | Weak, R16(elf, flagsAt));
        Assert.Equal(new[] { flagsAt }, Differences(original, elf));

        var once = (byte[])elf.Clone();
        Assert.Equal(ElfPatchResult.AlreadyWeak, ElfVersionNeedPatcher.MarkWeak(elf, Version));
        Assert.Equal(once, elf);
    }

    [Fact]
    public void Synthetic_elf_walks_every_verneed_entry()
    {
        // The wanted version hangs off the second Verneed (reached through vn_next), and appears in both.
        var (elf, flags) = BuildElf(
            new Need("libm.so.6", new Aux("GLIBC_2.29", 0), new Aux(Version, 0)),
            new Need("libstdc++.so.6", new Aux("GLIBCXX_3.4", 0), new Aux("CXXABI_1.3", 0), new Aux(Version, 0)));
        var original = (byte[])elf.Clone();

        Assert.Equal(ElfPatchResult.Patched, ElfVersionNeedPatcher.MarkWeak(elf, Version));

        var expected = flags.Where(f => f.Name == Version).Select(f => f.FlagsAt).OrderBy(i => i).ToArray();
        Assert.Equal(2, expected.Length);
        Assert.Equal(expected, Differences(original, elf));
        Assert.All(expected, at => Assert.Equal(Weak, R16(elf, at)));
    }

    [Fact]
    public void A_version_that_is_not_needed_changes_nothing()
    {
        var (elf, _) = BuildElf(new Need("libstdc++.so.6", new Aux("GLIBCXX_3.4", 0), new Aux("GLIBCXX_3.4.30", 0)));
        var original = (byte[])elf.Clone();
        Assert.Equal(ElfPatchResult.VersionNotNeeded, ElfVersionNeedPatcher.MarkWeak(elf, Version));
        // A prefix of a needed name is a different version.
        Assert.Equal(ElfPatchResult.VersionNotNeeded, ElfVersionNeedPatcher.MarkWeak(elf, "GLIBCXX_3.4.3"));
        Assert.Equal(original, elf);
    }

    [Fact]
    public void Non_elf64_input_is_rejected_unchanged()
    {
        var text = Encoding.ASCII.GetBytes(new string('x', 200));
        Assert.Equal(ElfPatchResult.NotElf64, ElfVersionNeedPatcher.MarkWeak(text, Version));
        Assert.Equal(ElfPatchResult.NotElf64, ElfVersionNeedPatcher.MarkWeak(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }, Version));

        var (elf32, _) = BuildElf(new Need("libstdc++.so.6", new Aux(Version, 0)));
        elf32[4] = 1; // ELFCLASS32
        Assert.Equal(ElfPatchResult.NotElf64, ElfVersionNeedPatcher.MarkWeak(elf32, Version));
        var (bigEndian, _) = BuildElf(new Need("libstdc++.so.6", new Aux(Version, 0)));
        bigEndian[5] = 2; // ELFDATA2MSB
        var copy = (byte[])bigEndian.Clone();
        Assert.Equal(ElfPatchResult.NotElf64, ElfVersionNeedPatcher.MarkWeak(bigEndian, Version));
        Assert.Equal(copy, bigEndian);

        string path = Path.Combine(_dir, "not-elf.so");
        File.WriteAllBytes(path, text);
        Assert.Equal(ElfPatchResult.NotElf64, ElfVersionNeedPatcher.MarkWeak(path, Version));
        Assert.Equal(text, File.ReadAllBytes(path));
    }

    [Fact]
    public void File_overload_writes_only_when_it_patches()
    {
        var (elf, flags) = BuildElf(new Need("libstdc++.so.6", new Aux(Version, 0)));
        string path = Path.Combine(_dir, "synthetic.so");
        File.WriteAllBytes(path, elf);
        Assert.Equal(ElfPatchResult.Patched, ElfVersionNeedPatcher.MarkWeak(path, Version));
        Assert.Equal(Weak, R16(File.ReadAllBytes(path), flags[0].FlagsAt));

        var stamp = new DateTime(2001, 1, 1, 0, 0, 0, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(path, stamp);
        Assert.Equal(ElfPatchResult.AlreadyWeak, ElfVersionNeedPatcher.MarkWeak(path, Version));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(path));
    }

    [Fact]
    public void SystemLibraryProvides_looks_for_the_exact_version_string()
    {
        string lib = Path.Combine(_dir, "libstdc++.so.6");
        File.WriteAllBytes(lib, Encoding.ASCII.GetBytes("junk\0GLIBCXX_3.4.30\0GLIBCXX_3.4.321\0more"));
        string missing = Path.Combine(_dir, "missing.so");
        Assert.False(ElfVersionNeedPatcher.SystemLibraryProvides(Version, missing, lib));
        Assert.True(ElfVersionNeedPatcher.SystemLibraryProvides("GLIBCXX_3.4.30", missing, lib));
        Assert.False(ElfVersionNeedPatcher.SystemLibraryProvides("GLIBCXX_3.4.30", missing));
    }

    // ---- the real libLibTorchSharp.so ----

    private static string? FindLibTorchSharp() =>
        Directory.EnumerateFiles(AppContext.BaseDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories).FirstOrDefault();

    [Fact]
    public void Real_libtorchsharp_copy_is_weakened_idempotently_and_only_at_version_flags()
    {
        if (!OperatingSystem.IsLinux()) return;
        string source = FindLibTorchSharp() ?? throw new FileNotFoundException($"libLibTorchSharp.so not found under {AppContext.BaseDirectory}");
        string copy = Path.Combine(_dir, "libLibTorchSharp.so");
        File.Copy(source, copy);
        var before = File.ReadAllBytes(copy);
        var entriesBefore = ReadVersionNeeds(before);
        Assert.Contains(entriesBefore, e => e.Name == Version);   // the reason the patcher exists
        Assert.True(entriesBefore.Count > 10);

        // The build may already have patched the output copy.
        var first = ElfVersionNeedPatcher.MarkWeak(copy, Version);
        Assert.True(first is ElfPatchResult.Patched or ElfPatchResult.AlreadyWeak, $"first call: {first}");
        Assert.Equal(ElfPatchResult.AlreadyWeak, ElfVersionNeedPatcher.MarkWeak(copy, Version));

        var after = File.ReadAllBytes(copy);
        var entriesAfter = ReadVersionNeeds(after);
        Assert.All(entriesAfter.Where(e => e.Name == Version), e => Assert.Equal(Weak, (ushort)(e.Flags & Weak)));
        // Every other entry is untouched, and the only bytes that changed are flags of the named version.
        Assert.Equal(entriesBefore.Where(e => e.Name != Version), entriesAfter.Where(e => e.Name != Version));
        var allowed = entriesAfter.Where(e => e.Name == Version).SelectMany(e => new[] { e.FlagsAt, e.FlagsAt + 1 }).ToHashSet();
        Assert.All(Differences(before, after), i => Assert.Contains(i, allowed));
        Assert.Equal(first == ElfPatchResult.Patched, Differences(before, after).Length > 0);

        // Cross-check with binutils where it is installed: same names, and WEAK exactly where our reader says so.
        var readelf = RunReadelf(copy);
        if (readelf is not null) Assert.Equal(FlagsFromReadelf(readelf), entriesAfter.Select(e => (e.Name, (e.Flags & Weak) != 0)));
    }

    [Fact]
    public void Real_libtorchsharp_with_the_weak_bit_cleared_is_patched_at_exactly_that_byte()
    {
        if (!OperatingSystem.IsLinux()) return;
        string source = FindLibTorchSharp() ?? throw new FileNotFoundException($"libLibTorchSharp.so not found under {AppContext.BaseDirectory}");
        var bytes = File.ReadAllBytes(source);
        // Undo any patch the build made, so that this test sees the library as shipped.
        foreach (var entry in ReadVersionNeeds(bytes).Where(e => e.Name == Version))
            W16(bytes, entry.FlagsAt, entry.Flags & ~Weak);
        string copy = Path.Combine(_dir, "libLibTorchSharp-unpatched.so");
        File.WriteAllBytes(copy, bytes);
        var readelfBefore = RunReadelf(copy);
        if (readelfBefore is not null) Assert.DoesNotContain(FlagsFromReadelf(readelfBefore), e => e.Name == Version && e.Weak);

        Assert.Equal(ElfPatchResult.Patched, ElfVersionNeedPatcher.MarkWeak(copy, Version));

        var after = File.ReadAllBytes(copy);
        var target = ReadVersionNeeds(after).Where(e => e.Name == Version).ToList();
        Assert.Equal(target.Select(e => e.FlagsAt).ToArray(), Differences(bytes, after)); // the low flag byte, nothing else
        Assert.All(target, e => Assert.Equal(Weak, (ushort)(e.Flags & Weak)));
        var readelfAfter = RunReadelf(copy);
        if (readelfAfter is not null) Assert.Contains(FlagsFromReadelf(readelfAfter), e => e.Name == Version && e.Weak);
        Assert.Equal(ElfPatchResult.VersionNotNeeded, ElfVersionNeedPatcher.MarkWeak(copy, "GLIBCXX_9.9.99"));
    }

    [Fact]
    public void Own_parser_reads_the_synthetic_file_and_readelf_agrees_on_the_flags()
    {
        var (elf, _) = BuildElf(new Need("libstdc++.so.6", new Aux("GLIBCXX_3.4", 0), new Aux(Version, 0)));
        ElfVersionNeedPatcher.MarkWeak(elf, Version);
        var entries = ReadVersionNeeds(elf);
        Assert.Equal(new[] { ("GLIBCXX_3.4", (ushort)0), (Version, Weak) }, entries.Select(e => (e.Name, e.Flags)));

        string path = Path.Combine(_dir, "synthetic-readelf.so");
        File.WriteAllBytes(path, elf);
        var readelf = RunReadelf(path);
        if (readelf is null) return;
        // Our minimal file has no section-name table, so readelf prints name indices: compare the flags in order.
        var flags = readelf.Split('\n').Where(l => l.Contains("Flags:")).Select(l => l.Contains("Flags: WEAK")).ToArray();
        Assert.Equal(new[] { false, true }, flags);
    }

    private static List<(string Name, bool Weak)> FlagsFromReadelf(string output) =>
        output.Split('\n')
            .Select(l => System.Text.RegularExpressions.Regex.Match(l, @"Name: (\S+)\s+Flags: (\S+)"))
            .Where(m => m.Success)
            .Select(m => (m.Groups[1].Value, m.Groups[2].Value.Contains("WEAK")))
            .ToList();

    /// <summary>An independent reader of .gnu.version_r: every vernaux's name, flags and flags offset.</summary>
    private static List<(string Name, ushort Flags, int FlagsAt)> ReadVersionNeeds(byte[] elf)
    {
        ulong U64(long o) => BitConverter.ToUInt64(elf, (int)o);
        uint U32(long o) => BitConverter.ToUInt32(elf, (int)o);
        long shoff = (long)U64(0x28);
        int shentsize = R16(elf, 0x3A), shnum = R16(elf, 0x3C);
        var result = new List<(string, ushort, int)>();
        for (int i = 0; i < shnum; i++)
        {
            long sh = shoff + (long)i * shentsize;
            if (U32(sh + 4) != 0x6ffffffe) continue;
            long strtab = (long)U64(shoff + (long)U32(sh + 0x28) * shentsize + 0x18);
            long vn = (long)U64(sh + 0x18);
            for (uint n = 0; n < U32(sh + 0x2C); n++)
            {
                long aux = vn + U32(vn + 8);
                for (int a = 0; a < R16(elf, (int)vn + 2); a++)
                {
                    long name = strtab + U32(aux + 8);
                    int end = Array.IndexOf(elf, (byte)0, (int)name);
                    result.Add((Encoding.ASCII.GetString(elf, (int)name, end - (int)name), R16(elf, (int)aux + 4), (int)aux + 4));
                    aux += U32(aux + 12);
                }
                vn += U32(vn + 12);
            }
        }
        return result;
    }

    private static string? RunReadelf(string path)
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("readelf", ["-V", "-W", path])
            {
                RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            });
            if (process is null) return null;
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // readelf not installed
        }
    }
}
