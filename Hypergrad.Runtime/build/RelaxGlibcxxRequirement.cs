#nullable enable
// MSBuild inline task (compiled by RoslynCodeTaskFactory; see Hypergrad.Runtime.targets).
// Marks one GLIBCXX version requirement of an ELF64 shared library as weak (VER_FLG_WEAK) when the
// system's libstdc++ does not provide that version. Nothing else in the file changes.
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public class HypergradRelaxGlibcxxRequirement : Task
{
    [Required] public string Library { get; set; } = "";
    [Required] public string Version { get; set; } = "";

    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    public override bool Execute()
    {
        if (!File.Exists(Library)) return true;
        string? system = null;
        foreach (var candidate in LibStdCxxCandidates)
            if (File.Exists(candidate)) { system = candidate; break; }
        if (system == null)
        {
            Log.LogMessage(MessageImportance.Low, "Hypergrad: no system libstdc++ found; TorchSharp native library left as shipped.");
            return true;
        }
        if (Contains(File.ReadAllBytes(system), Encoding.ASCII.GetBytes(Version + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, $"Hypergrad: {system} provides {Version}; nothing to repair.");
            return true;
        }

        byte[] elf = File.ReadAllBytes(Library);
        int flagsOffset = FindVernauxFlags(elf, Version);
        if (flagsOffset < 0)
        {
            Log.LogMessage(MessageImportance.Low, $"Hypergrad: {Library} does not require {Version}.");
            return true;
        }
        ushort flags = BitConverter.ToUInt16(elf, flagsOffset);
        if ((flags & VerFlgWeak) != 0) return true; // already repaired

        flags |= VerFlgWeak;
        elf[flagsOffset] = (byte)(flags & 0xff);
        elf[flagsOffset + 1] = (byte)(flags >> 8);
        // Write a new file and move it over the old one, so a hard link into the NuGet cache is never modified.
        string temp = Library + ".hypergrad-tmp";
        File.WriteAllBytes(temp, elf);
        File.Delete(Library);
        File.Move(temp, Library);
        Log.LogMessage(MessageImportance.High, $"Hypergrad: {system} lacks {Version}; marked that requirement weak in {Library} (see README, Troubleshooting).");
        return true;
    }

    // Returns the file offset of vna_flags of the Elf64_Vernaux entry named `version`, or -1.
    static int FindVernauxFlags(byte[] elf, string version)
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

    static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }
}
