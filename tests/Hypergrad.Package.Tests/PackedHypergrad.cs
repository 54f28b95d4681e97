using System.Reflection;

namespace Hypergrad.Package.Tests;

/// <summary>
/// Packs Hypergrad.Runtime once (no build of its own: the test project's reference built it) into a folder
/// feed under a fresh temporary directory, with a NuGet.config that adds that folder to the user's sources.
/// Every pack gets a unique prerelease version and restores go to a private packages folder (the user's
/// global folder is only a read-only fallback, for TorchSharp), so a stale cached Hypergrad is never used.
/// </summary>
public sealed class PackedHypergrad : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "hypergrad-package-" + Guid.NewGuid().ToString("N"));
    public string Version { get; } = "0.1.0-test" + Guid.NewGuid().ToString("N")[..12];
    public string PackagePath => Path.Combine(Root, "feed", $"Hypergrad.{Version}.nupkg");
    public IReadOnlyDictionary<string, string> Environment { get; }

    public PackedHypergrad()
    {
        string feed = Path.Combine(Root, "feed"), packages = Path.Combine(Root, "packages");
        Directory.CreateDirectory(feed);
        Environment = new Dictionary<string, string> { ["NUGET_PACKAGES"] = packages };

        string configuration = typeof(PackedHypergrad).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        string project = Path.Combine(RepositoryRoot(), "Hypergrad.Runtime", "Hypergrad.Runtime.csproj");
        var pack = DotnetCli.Run(Root, Environment, "pack", project, "-c", configuration, "--no-build", "-nodeReuse:false",
            "-o", feed, $"-p:PackageVersion={Version}", $"-p:NuspecOutputPath={Path.Combine(Root, "nuspec")}/");
        if (pack.ExitCode != 0 || !File.Exists(PackagePath))
        {
            Dispose(); // xunit does not dispose a fixture whose constructor threw
            throw new InvalidOperationException($"dotnet pack failed (exit {pack.ExitCode}):\n{pack.Output}");
        }

        string userPackages = System.Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(System.Environment.GetFolderPath(System.Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        File.WriteAllText(Path.Combine(Root, "NuGet.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="hypergrad-under-test" value="{feed}" />
              </packageSources>
              <fallbackPackageFolders>
                <add key="user-packages" value="{userPackages}" />
              </fallbackPackageFolders>
            </configuration>
            """);
    }

    /// <summary>A console project under <see cref="Root"/> that references the packed Hypergrad, with the given C# files.</summary>
    public string CreateConsoleProject(string name, IReadOnlyDictionary<string, string> sources)
    {
        string directory = Path.Combine(Root, name);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, name + ".csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Hypergrad" Version="{Version}" />
              </ItemGroup>
            </Project>
            """);
        foreach (var (file, text) in sources) File.WriteAllText(Path.Combine(directory, file), text);
        return directory;
    }

    public DotnetCli.Outcome Build(string projectDirectory) =>
        DotnetCli.Run(projectDirectory, Environment, "build", "-nodeReuse:false", "-p:UseSharedCompilation=false");

    static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory != null; directory = directory.Parent)
            if (File.Exists(Path.Combine(directory.FullName, "Hypergrad.sln"))) return directory.FullName;
        throw new InvalidOperationException($"No Hypergrad.sln above {AppContext.BaseDirectory}.");
    }

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { } // a leftover temp folder is not a test failure
    }
}
