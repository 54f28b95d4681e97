using System;
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

        context.RegisterSourceOutput(models, static (output, model) => output.AddSource(model.HintName, ProblemFileWriter.Write(model)));
    }

    private static ProblemModel? TryExtract(GeneratorAttributeSyntaxContext context, System.Threading.CancellationToken cancellationToken)
    {
        if (context.TargetSymbol is not INamedTypeSymbol type || context.Attributes.Length == 0) return null;
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
