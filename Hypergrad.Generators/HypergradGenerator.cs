using System;
using System.Linq;
using Hypergrad.Generators.Emit;
using Hypergrad.Generators.Extraction;
using Hypergrad.Generators.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hypergrad.Generators;

/// <summary>
/// Generates <c>ComputeHypergradient</c> and <c>Run</c> for every <c>[Hypergradient]</c> partial class.
/// Silent by design: it never reports diagnostics and never throws; an invalid class gets no output and the
/// analyzers (which share <see cref="ProblemExtractor"/>) explain why.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class HypergradGenerator : IIncrementalGenerator
{
    /// <inheritdoc />
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var models = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                KnownNames.HypergradientAttribute,
                predicate: static (node, _) => node is ClassDeclarationSyntax,
                transform: static (attributeContext, cancellationToken) => TryExtract(attributeContext, cancellationToken))
            .WithTrackingName(TrackingNames.Extracted)
            .Where(static model => model is not null)
            .Select(static (model, _) => model!)
            .WithTrackingName(TrackingNames.Valid);

        context.RegisterSourceOutput(models, static (output, model) =>
        {
            string source;
            try
            {
                source = ProblemFileWriter.Write(model);
            }
            catch (Exception exception) when (exception is not OperationCanceledException)
            {
                return;   // never CS8785: that would remove every other class's output too
            }
            output.AddSource(model.HintName, source);
        });
    }

    private static ProblemModel? TryExtract(GeneratorAttributeSyntaxContext context, System.Threading.CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.Attributes.Length == 0) return null;
        // [Hypergradient] on two partial declarations (CS0579) must not give two files with one hint name: only the
        // declaration holding the class's first such attribute produces the model.
        var first = type.GetAttributes().FirstOrDefault(a => a.AttributeClass?.ToDisplayString() == KnownNames.HypergradientAttribute);
        var reference = first?.ApplicationSyntaxReference;
        if (reference is null || reference.SyntaxTree != context.TargetNode.SyntaxTree || !context.TargetNode.Span.Contains(reference.Span))
            return null;
        try
        {
            return ProblemExtractor.Extract(type, context.Attributes[0], diagnostics: null, cancellationToken);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            // Malformed code mid-edit must never break the user's build: emit nothing, the analyzer reports.
            return null;
        }
    }
}

/// <summary>Names of the generator's pipeline steps, for incrementality tests.</summary>
public static class TrackingNames
{
    /// <summary>The model extracted from each attributed class (null when invalid).</summary>
    public const string Extracted = nameof(Extracted);

    /// <summary>The valid models that produce output.</summary>
    public const string Valid = nameof(Valid);
}
