using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Xunit;

namespace Hypergrad.Tests.Native;

/// <summary>
/// The rule of Hypergrad.Runtime/Native/KeptScalars.cs as a lint: no runtime source converts a C# number to a
/// TorchSharp Scalar implicitly (an argument like <c>x.add_(r, alpha)</c> or an operator like <c>t * 2.0</c>), because
/// that temporary can be freed by the GC while libtorch reads it. The sources are compiled with Roslyn, so conversions
/// the syntax does not show are found too.
/// </summary>
public class KeptScalarRuleTests
{
    [Fact]
    public void NoRuntimeSourceConvertsANumberToAScalarImplicitly()
    {
        string runtime = Path.Combine(RepositoryRoot(), "Hypergrad.Runtime");
        var trees = Directory.EnumerateFiles(runtime, "*.cs", SearchOption.AllDirectories)
            .Where(f => !IsUnder(f, runtime, "obj") && !IsUnder(f, runtime, "bin") && !IsUnder(f, runtime, "build"))
            .Select(f => CSharpSyntaxTree.ParseText(File.ReadAllText(f), new CSharpParseOptions(LanguageVersion.Latest), path: f))
            .ToList();
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(TorchSharp.torch).Assembly.Location)
            .Distinct()
            .Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("RuntimeScan", trees, references,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

        // A scan of code that does not compile would miss conversions silently.
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Take(5).ToList();
        Assert.True(errors.Count == 0, "the runtime did not compile for the scan: " + string.Join("; ", errors));

        var violations = new List<string>();
        foreach (var tree in trees)
        {
            if (Path.GetFileName(tree.FilePath) == "KeptScalars.cs") continue;
            var model = compilation.GetSemanticModel(tree);
            foreach (var syntax in ScalarConversions(tree, model))
            {
                var line = tree.GetLineSpan(syntax.Span).StartLinePosition.Line + 1;
                violations.Add($"{Path.GetRelativePath(runtime, tree.FilePath)}:{line}: `{syntax}` becomes a temporary Scalar");
            }
        }
        Assert.True(violations.Count == 0,
            "Pass numbers to TorchSharp through KeptScalars (or `using var s = value.ToScalar();`), add tensors with Plus/Plus_:\n" + string.Join("\n", violations));
    }

    /// <summary>The check itself: it finds the conversion in a line written the forbidden way.</summary>
    [Fact]
    public void TheScanSeesAnImplicitConversion()
    {
        var tree = CSharpSyntaxTree.ParseText("using TorchSharp; using static TorchSharp.torch; class C { void M(Tensor x, Tensor r, double a) { x.add_(r, a); var y = x * 2.0; var z = 1 - x; var ok = x.add_(r, a.ToScalar()); var s = x + r; x.add_(r); } }");
        var references = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Append(typeof(TorchSharp.torch).Assembly.Location).Distinct().Select(p => MetadataReference.CreateFromFile(p));
        var compilation = CSharpCompilation.Create("Probe", new[] { tree }, references, new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        var model = compilation.GetSemanticModel(tree);
        Assert.Equal(new[] { "a", "2.0", "1", "x + r", "x.add_(r)" }, ScalarConversions(tree, model).Select(s => s.ToString()));
    }

    /// <summary>
    /// Every implicit conversion to TorchSharp.Scalar in a file, found on the operation trees: arguments and the operands
    /// of operators (<c>t * 2.0</c>), which the syntax alone does not show.
    /// </summary>
    static IEnumerable<SyntaxNode> ScalarConversions(SyntaxTree tree, SemanticModel model)
    {
        var operations = tree.GetRoot().DescendantNodes()
            .Select(node => model.GetOperation(node))
            .Where(operation => operation is not null && operation.Parent is null)
            .SelectMany(root => root!.DescendantsAndSelf())
            .ToList();
        var conversions = operations.OfType<IConversionOperation>()
            .Where(c => c.IsImplicit && c.Conversion.IsUserDefined && c.OperatorMethod?.ContainingType.ToDisplayString() == "TorchSharp.Scalar")
            .Select(c => c.Operand.Syntax);
        // TorchSharp's operators on a tensor and a C# number (t * 2.0, 1 - t) convert the number inside TorchSharp.
        var numberOperands = operations.OfType<IBinaryOperation>()
            .Where(b => b.OperatorMethod?.ContainingType.ToDisplayString() == "TorchSharp.torch.Tensor")
            .SelectMany(b => new[] { b.LeftOperand, b.RightOperand })
            .Where(operand => operand.Type is { SpecialType: SpecialType.System_Int32 or SpecialType.System_Int64 or SpecialType.System_Single or SpecialType.System_Double })
            .Select(operand => operand.Syntax);
        // TorchSharp's tensor + tensor (the operator, add(t), add_(t)) converts a temporary 1 as add's alpha inside TorchSharp.
        var tensorSums = operations
            .Where(o => o is IBinaryOperation { OperatorKind: BinaryOperatorKind.Add } b && IsTensor(b.OperatorMethod?.ContainingType) && IsTensor(b.RightOperand.Type)
                || o is IInvocationOperation { TargetMethod.Name: "add" or "add_", Arguments.Length: 1 } call && IsTensor(call.TargetMethod.ContainingType) && IsTensor(call.Arguments[0].Value.Type))
            .Select(o => o.Syntax);
        return conversions.Concat(numberOperands).Concat(tensorSums).Distinct().OrderBy(s => s.SpanStart);
    }

    static bool IsTensor(ITypeSymbol? type) => type?.ToDisplayString() == "TorchSharp.torch.Tensor";

    static bool IsUnder(string file, string root, string folder) =>
        Path.GetRelativePath(root, file).StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    static string RepositoryRoot([CallerFilePath] string here = "")
    {
        var directory = new DirectoryInfo(Path.GetDirectoryName(here)!);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Hypergrad.sln"))) directory = directory.Parent;
        return directory?.FullName ?? throw new InvalidOperationException("Hypergrad.sln not found above " + here);
    }
}
