// Marks one ELF version need (e.g. GLIBCXX_3.4.32) as weak (VER_FLG_WEAK) in a shared library.
// Why: TorchSharp's libLibTorchSharp.so is linked with GCC 13, whose <iostream> emits a reference to
// _ZSt21ios_base_library_initv (GLIBCXX_3.4.32). Nothing calls it, but the version need alone stops the
// library from loading against Debian 12's libstdc++ (<= 3.4.30). glibc skips a missing *weak* version.
// Written by hand because no ELF editing library is available to MSBuild; it touches 2 bytes per entry.
using System;
using System.IO;
using System.Text;

namespace Scott.Lab.Build
{
    public enum ElfPatchResult { Patched, AlreadyWeak, VersionNotNeeded, NotElf64 }

    public static class ElfVersionNeedPatcher
    {
        private const uint ShtGnuVerneed = 0x6ffffffe;
        private const ushort VerFlgWeak = 0x2;

        /// <summary>Sets VER_FLG_WEAK on every vernaux entry named <paramref name="versionName"/>.</summary>
        public static ElfPatchResult MarkWeak(string path, string versionName)
        {
            byte[] elf = File.ReadAllBytes(path);
            var result = MarkWeak(elf, versionName);
            if (result == ElfPatchResult.Patched) File.WriteAllBytes(path, elf);
            return result;
        }

        public static ElfPatchResult MarkWeak(byte[] elf, string versionName)
        {
            // ELF64, little-endian only: the only layout TorchSharp ships for Linux.
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F'
                || elf[4] != 2 || elf[5] != 1)
                return ElfPatchResult.NotElf64;

            ulong shoff = U64(elf, 0x28);
            int shentsize = U16(elf, 0x3A), shnum = U16(elf, 0x3C);
            bool found = false, patched = false;
            for (int i = 0; i < shnum; i++)
            {
                int sh = checked((int)shoff + i * shentsize);
                if (U32(elf, sh + 4) != ShtGnuVerneed) continue;
                long secOffset = (long)U64(elf, sh + 0x18);
                int link = (int)U32(elf, sh + 0x28);
                int strSh = checked((int)shoff + link * shentsize);
                long strOffset = (long)U64(elf, strSh + 0x18);
                int count = (int)U32(elf, sh + 0x2C); // sh_info = number of Verneed entries

                long vn = secOffset;
                for (int n = 0; n < count; n++)
                {
                    int auxCount = U16(elf, (int)vn + 2);
                    long aux = vn + U32(elf, (int)vn + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        string name = CString(elf, (int)(strOffset + U32(elf, (int)aux + 8)));
                        if (name == versionName)
                        {
                            found = true;
                            int flagsAt = (int)aux + 4;
                            ushort flags = (ushort)U16(elf, flagsAt);
                            if ((flags & VerFlgWeak) == 0)
                            {
                                flags |= VerFlgWeak;
                                elf[flagsAt] = (byte)(flags & 0xff);
                                elf[flagsAt + 1] = (byte)(flags >> 8);
                                patched = true;
                            }
                        }
                        aux += U32(elf, (int)aux + 12);
                    }
                    uint next = U32(elf, (int)vn + 12);
                    if (next == 0) break;
                    vn += next;
                }
            }
            return patched ? ElfPatchResult.Patched : found ? ElfPatchResult.AlreadyWeak : ElfPatchResult.VersionNotNeeded;
        }

        /// <summary>True when a libstdc++ on this machine defines <paramref name="versionName"/>, so no patch is needed.</summary>
        public static bool SystemLibraryProvides(string versionName, params string[] candidates)
        {
            byte[] needle = Encoding.ASCII.GetBytes(versionName + "\0");
            foreach (var candidate in candidates)
            {
                if (!File.Exists(candidate)) continue;
                byte[] bytes = File.ReadAllBytes(candidate);
                return IndexOf(bytes, needle) >= 0;
            }
            return false;
        }

        private static int IndexOf(byte[] haystack, byte[] needle)
        {
            for (int i = 0; i <= haystack.Length - needle.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && haystack[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }

        private static int U16(byte[] b, int o) => b[o] | (b[o + 1] << 8);
        private static uint U32(byte[] b, int o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        private static ulong U64(byte[] b, int o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);
        private static string CString(byte[] b, int o)
        {
            int end = o;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, o, end - o);
        }
    }
}

#if !SCOTT_LAB_NO_MSBUILD_TASK
namespace Scott.Lab.Build
{
    using Microsoft.Build.Framework;
    using Microsoft.Build.Utilities;

    /// <summary>MSBuild task: weakens the version need in each given copy of libLibTorchSharp.so.</summary>
    public class MarkElfVersionNeedWeak : Task
    {
        [Required] public ITaskItem[] Files { get; set; } = Array.Empty<ITaskItem>();
        [Required] public string VersionName { get; set; } = "";

        public override bool Execute()
        {
            string[] systemLibs = { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
                                    "/usr/lib64/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6" };
            if (ElfVersionNeedPatcher.SystemLibraryProvides(VersionName, systemLibs))
            {
                Log.LogMessage(MessageImportance.Low, $"System libstdc++ provides {VersionName}; no patch needed.");
                return true;
            }
            foreach (var item in Files)
            {
                var result = ElfVersionNeedPatcher.MarkWeak(item.ItemSpec, VersionName);
                Log.LogMessage(result == ElfPatchResult.Patched ? MessageImportance.Normal : MessageImportance.Low,
                    $"{item.ItemSpec}: {VersionName} {result}");
            }
            return true;
        }
    }
}
#endif
