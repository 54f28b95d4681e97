using Xunit;

namespace Hypergrad.Tests.Build;

// The build step in Hypergrad.Runtime/build relaxes TorchSharp's GLIBCXX_3.4.32 requirement on
// systems whose libstdc++ lacks it. These tests read the libraries themselves.
public class NativeRepairTests
{
    const string Version = "GLIBCXX_3.4.32";

    static string ShippedLibrary()
    {
        var packages = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        return Path.Combine(packages, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }

    static string OutputLibrary() => Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void Output_copy_is_repaired_exactly_when_the_system_lacks_the_version_and_the_cache_is_untouched()
    {
        Assert.True(OperatingSystem.IsLinux(), "These facts are about the Linux native library.");
        var shipped = ElfVersionRequirement.RequirementFlags(ShippedLibrary(), Version);
        var output = ElfVersionRequirement.RequirementFlags(OutputLibrary(), Version);
        Assert.NotNull(shipped);
        Assert.Equal(0, shipped!.Value & ElfVersionRequirement.VerFlgWeak); // the NuGet cache keeps the original

        var system = ElfVersionRequirement.FindSystemLibStdCxx();
        Assert.NotNull(system);
        bool systemHasIt = ElfVersionRequirement.Provides(system!, Version);
        Assert.Equal(systemHasIt ? shipped : (ushort)(shipped.Value | ElfVersionRequirement.VerFlgWeak), output);
    }

    [Fact]
    public void Marking_weak_changes_one_flag_and_is_idempotent()
    {
        var dir = Directory.CreateTempSubdirectory("hypergrad-elf-");
        try
        {
            var copy = Path.Combine(dir.FullName, "libLibTorchSharp.so");
            File.Copy(ShippedLibrary(), copy);
            var original = File.ReadAllBytes(copy);

            Assert.True(ElfVersionRequirement.MarkWeak(copy, Version));
            var once = File.ReadAllBytes(copy);
            Assert.False(ElfVersionRequirement.MarkWeak(copy, Version));
            var twice = File.ReadAllBytes(copy);

            Assert.Equal(once, twice);
            Assert.Equal(original.Length, once.Length);
            var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != once[i]).ToArray();
            Assert.Single(changed);
            Assert.Equal(original[changed[0]] | ElfVersionRequirement.VerFlgWeak, once[changed[0]]);

            // A version the library does not require is left alone.
            Assert.False(ElfVersionRequirement.MarkWeak(copy, "GLIBCXX_9.9.99"));
            Assert.Equal(once, File.ReadAllBytes(copy));
        }
        finally { dir.Delete(recursive: true); }
    }
}
