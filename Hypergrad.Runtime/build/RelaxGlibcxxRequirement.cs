#nullable enable
// MSBuild inline task (compiled by RoslynCodeTaskFactory; see Hypergrad.Runtime.targets).
// Marks one GLIBCXX version requirement of an ELF64 shared library as weak (VER_FLG_WEAK) when the
// system's libstdc++ does not provide that version. Nothing else in the file changes.
// The ELF logic sits in ElfVersionRequirement so tests can link this file without MSBuild
// (they compile it with HYPERGRAD_ELF_ONLY defined).
using System;
using System.IO;
using System.Text;
#if !HYPERGRAD_ELF_ONLY
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class HypergradRelaxGlibcxxRequirement : Task
{
    [Required] public string Library { get; set; } = "";
    [Required] public string Version { get; set; } = "";

    public override bool Execute()
    {
        if (!File.Exists(Library)) return true;
        string? system = ElfVersionRequirement.FindSystemLibStdCxx();
        if (system == null)
        {
            Log.LogMessage(MessageImportance.Low, "Hypergrad: no system libstdc++ found; TorchSharp native library left as shipped.");
            return true;
        }
        if (ElfVersionRequirement.Provides(system, Version))
        {
            Log.LogMessage(MessageImportance.Low, $"Hypergrad: {system} provides {Version}; nothing to repair.");
            return true;
        }
        if (ElfVersionRequirement.MarkWeak(Library, Version))
            Log.LogMessage(MessageImportance.High, $"Hypergrad: {system} lacks {Version}; marked that requirement weak in {Library} (see README, Troubleshooting).");
        return true;
    }
}
#endif

public static class ElfVersionRequirement
{
    const uint ShtGnuVerneed = 0x6ffffffe;
    public const ushort VerFlgWeak = 0x2;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    public static string? FindSystemLibStdCxx()
    {
        foreach (var candidate in LibStdCxxCandidates)
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    /// <summary>Whether the library defines the version (its name appears NUL-terminated in the file).</summary>
    public static bool Provides(string library, string version) =>
        IndexOf(File.ReadAllBytes(library), Encoding.ASCII.GetBytes(version + "\0")) >= 0;

    /// <summary>
    /// Sets VER_FLG_WEAK on the requirement; returns false when there was nothing to change (no such
    /// requirement, or already weak). Writes a new file and moves it into place, so a hard link into
    /// the NuGet cache is never modified.
    /// </summary>
    public static bool MarkWeak(string library, string version)
    {
        byte[] elf = File.ReadAllBytes(library);
        int flagsOffset = FindRequirementFlags(elf, version);
        if (flagsOffset < 0) return false;
        ushort flags = BitConverter.ToUInt16(elf, flagsOffset);
        if ((flags & VerFlgWeak) != 0) return false;

        flags |= VerFlgWeak;
        elf[flagsOffset] = (byte)(flags & 0xff);
        elf[flagsOffset + 1] = (byte)(flags >> 8);
        string temp = library + ".hypergrad-tmp";
        File.WriteAllBytes(temp, elf);
        File.Delete(library);
        File.Move(temp, library);
        return true;
    }

    /// <summary>The vna_flags of the requirement named <paramref name="version"/>, or null when the library does not require it.</summary>
    public static ushort? RequirementFlags(string library, string version)
    {
        byte[] elf = File.ReadAllBytes(library);
        int offset = FindRequirementFlags(elf, version);
        return offset < 0 ? null : BitConverter.ToUInt16(elf, offset);
    }

    // Returns the file offset of vna_flags of the Elf64_Vernaux entry named `version`, or -1.
    static int FindRequirementFlags(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F') return -1;
        if (elf[4] != 2 || elf[5] != 1) return -1; // ELFCLASS64, little-endian only
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A);
        int shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int i = 0; i < shnum; i++)
        {
            int sh = checked((int)(shoff + (long)i * shentsize));
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            int offset = checked((int)BitConverter.ToInt64(elf, sh + 24));
            int link = (int)BitConverter.ToUInt32(elf, sh + 40);
            int count = (int)BitConverter.ToUInt32(elf, sh + 44);
            int strtab = checked((int)BitConverter.ToInt64(elf, checked((int)(shoff + (long)link * shentsize)) + 24));

            // Elf64_Verneed: vn_version(2) vn_cnt(2) vn_file(4) vn_aux(4) vn_next(4)
            // Elf64_Vernaux: vna_hash(4) vna_flags(2) vna_other(2) vna_name(4) vna_next(4)
            int need = offset;
            for (int n = 0; n < count; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    int name = strtab + (int)BitConverter.ToUInt32(elf, aux + 8);
                    if (CStringEquals(elf, name, version)) return aux + 4;
                    aux += (int)BitConverter.ToUInt32(elf, aux + 12);
                }
                need += (int)BitConverter.ToUInt32(elf, need + 12);
            }
        }
        return -1;
    }

    static bool CStringEquals(byte[] data, int at, string s)
    {
        if (at + s.Length >= data.Length) return false;
        for (int i = 0; i < s.Length; i++) if (data[at + i] != (byte)s[i]) return false;
        return data[at + s.Length] == 0;
    }

    static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}
