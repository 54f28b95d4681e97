using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Xml.Linq;
using Xunit;

namespace Hypergrad.Package.Tests;

/// <summary>
/// The package as a user outside the repository gets it. One pack for the class; the consumer tests restore,
/// build and run fresh console projects against it (about 30–60 s in all, most of it the first restore and build).
/// </summary>
public sealed class PackageTests(PackedHypergrad package) : IClassFixture<PackedHypergrad>
{
    // F(w) = ½‖w − t‖², g(w, λ) = ½ Σ aᵢwᵢ² − λ·w, so w*(λ) = λ/a and dF/dλ = (w* − t)/a.
    static readonly double[] A = { 1.0, 2.0, 4.0 }, T = { 0.5, -1.0, 2.0 }, Lambda = { 1.0, 3.0, -2.0 };

    static string Numbers(double[] values) => string.Join(", ", values.Select(v => v.ToString("R", CultureInfo.InvariantCulture)));

    static string QuadraticProblem(bool partial) => $$"""
        using Hypergrad;
        using TorchSharp;
        using TorchSharp.Modules;
        using static TorchSharp.torch;

        [Hypergradient(Method.ConjugateGradient, Iterations = 10, Tolerance = 1e-12)]
        public {{(partial ? "partial " : "")}}class Quadratic
        {
            public static readonly Tensor A = tensor(new double[] { {{Numbers(A)}} }, dtype: float64);
            public static readonly Tensor T = tensor(new double[] { {{Numbers(T)}} }, dtype: float64);

            [Inner] public Parameter W { get; } = new(zeros(3, dtype: float64));
            [Outer] public Parameter Lambda { get; } = new(tensor(new double[] { {{Numbers(Lambda)}} }, dtype: float64));

            [InnerObjective] public Tensor Inner() => 0.5 * (A * W * W).sum() - (Lambda * W).sum();
            [OuterObjective] public Tensor Outer() => 0.5 * (W - T).pow(2).sum();
        }
        """;

    const string Program = """
        using System;
        using System.Globalization;
        using System.Linq;
        using static TorchSharp.torch;

        var problem = new Quadratic();
        using (no_grad()) problem.W.copy_(problem.Lambda / Quadratic.A);   // the inner optimum w*(λ) = λ/a
        using var result = problem.ComputeHypergradient();                 // generated from the package's generator
        Console.WriteLine("hypergradient " + string.Join(" ", problem.Lambda.grad!.data<double>().ToArray().Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
        Console.WriteLine("converged " + result.Converged);
        """;

    [Fact]
    public void Package_holds_the_runtime_the_roslyn_components_the_repair_step_and_the_TorchSharp_dependency()
    {
        using var zip = ZipFile.OpenRead(package.PackagePath);
        var entries = zip.Entries.Select(e => e.FullName).ToHashSet();
        foreach (var expected in new[]
                 {
                     "lib/net10.0/Hypergrad.Runtime.dll", "lib/net10.0/Hypergrad.Runtime.xml",
                     "analyzers/dotnet/cs/Hypergrad.Generators.dll", "analyzers/dotnet/cs/Hypergrad.Analyzers.dll",
                     "analyzers/dotnet/cs/Hypergrad.CodeFixers.dll",
                     "buildTransitive/Hypergrad.targets", "buildTransitive/RelaxGlibcxxRequirement.cs", "README.md",
                 })
            Assert.Contains(expected, entries);
        // The Roslyn components are analyzers only, never references of the user's code.
        Assert.Equal(new[] { "lib/net10.0/Hypergrad.Runtime.dll", "lib/net10.0/Hypergrad.Runtime.xml" },
            entries.Where(e => e.StartsWith("lib/", StringComparison.Ordinal)).Order().ToArray());

        string nuspecText;
        using (var reader = new StreamReader(zip.GetEntry("Hypergrad.nuspec")!.Open(), Encoding.UTF8)) nuspecText = reader.ReadToEnd();
        var metadata = XDocument.Parse(nuspecText).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        string? Element(string name) => metadata.Elements().SingleOrDefault(e => e.Name.LocalName == name)?.Value;

        Assert.Equal("Hypergrad", Element("id"));
        Assert.Equal(package.Version, Element("version"));
        Assert.Equal("MIT", Element("license"));
        Assert.Equal("README.md", Element("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Element("description")));
        Assert.Null(Element("projectUrl"));
        Assert.Null(metadata.Elements().SingleOrDefault(e => e.Name.LocalName == "repository"));

        var dependency = Assert.Single(metadata.Descendants(), e => e.Name.LocalName == "dependency");
        Assert.Equal("TorchSharp-cpu", dependency.Attribute("id")?.Value);
        Assert.Equal("0.107.0", dependency.Attribute("version")?.Value);
        Assert.Null(dependency.Attribute("exclude")); // TorchSharp's own buildTransitive targets reach the user
    }

    [Fact]
    public void Console_project_restored_from_the_package_generates_ComputeHypergradient_and_matches_the_closed_form()
    {
        string project = package.CreateConsoleProject("Consumer", new Dictionary<string, string>
        {
            ["Quadratic.cs"] = QuadraticProblem(partial: true),
            ["Program.cs"] = Program,
        });

        var build = package.Build(project);
        Assert.True(build.ExitCode == 0, $"dotnet build failed:\n{build.Output}");
        if (SystemLibStdCxxLacks("GLIBCXX_3.4.32"))   // the package's buildTransitive step repaired the native copy
            Assert.Contains("marked that requirement weak", build.Output);

        var run = DotnetCli.Run(project, package.Environment, "run", "--no-build");
        Assert.True(run.ExitCode == 0, $"the consumer failed:\n{run.Output}");

        string line = run.Output.Split('\n').Single(l => l.StartsWith("hypergradient ", StringComparison.Ordinal));
        double[] printed = line["hypergradient ".Length..].Trim().Split(' ').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        double[] closedForm = Enumerable.Range(0, A.Length).Select(i => (Lambda[i] / A[i] - T[i]) / A[i]).ToArray();
        Assert.Equal(closedForm.Length, printed.Length);
        for (int i = 0; i < closedForm.Length; i++) Assert.Equal(closedForm[i], printed[i], 1e-9);
        Assert.Contains("converged True", run.Output);
    }

    [Fact]
    public void Analyzer_from_the_package_rejects_a_non_partial_problem_class_with_HG0001()
    {
        string project = package.CreateConsoleProject("NotPartial", new Dictionary<string, string>
        {
            ["Quadratic.cs"] = QuadraticProblem(partial: false),
            ["Program.cs"] = "System.Console.WriteLine(new Quadratic().W.shape.Length);",
        });

        var build = package.Build(project);
        Assert.NotEqual(0, build.ExitCode);
        Assert.Contains("error HG0001", build.Output);
    }

    static bool SystemLibStdCxxLacks(string version)
    {
        const string libStdCxx = "/usr/lib/x86_64-linux-gnu/libstdc++.so.6";
        if (!OperatingSystem.IsLinux() || !File.Exists(libStdCxx)) return false;
        return File.ReadAllBytes(libStdCxx).AsSpan().IndexOf(Encoding.ASCII.GetBytes(version + "\0")) < 0;
    }
}
