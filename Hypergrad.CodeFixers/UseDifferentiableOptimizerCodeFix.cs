using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Hypergrad.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace Hypergrad.CodeFixers;

/// <summary>
/// HG0008: replaces a built-in <c>torch.optim</c> optimizer by the runtime's differentiable counterpart,
/// <c>torch.optim.SGD(parameters, 0.1, momentum: 0.9)</c> → <c>new DifferentiableSgd(learningRate: 0.1, momentum: 0.9)</c>.
/// The parameter list is dropped (differentiable optimizers take parameters at each step) and torch.optim's
/// argument names are mapped to the counterpart's; arguments it has no equivalent for (maximize, amsgrad) are dropped.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseDifferentiableOptimizerCodeFix)), Shared]
public sealed class UseDifferentiableOptimizerCodeFix : CodeFixProvider
{
    /// <summary>The id of the diagnostic fixed (HG0008).</summary>
    public const string DiagnosticId = "HG0008";

    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticId);

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(OptimizerCounterparts.ReplacementKey, out var replacement) || replacement is null) continue;
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            var expression = node.AncestorsAndSelf().FirstOrDefault(n => n is InvocationExpressionSyntax or ObjectCreationExpressionSyntax) as ExpressionSyntax;
            if (expression is null) continue;
            context.RegisterCodeFix(
                CodeAction.Create($"Use the differentiable {replacement}",
                    cancellationToken => ReplaceAsync(context.Document, expression, replacement, cancellationToken),
                    equivalenceKey: nameof(UseDifferentiableOptimizerCodeFix)),
                diagnostic);
        }
    }

    private static async Task<Document> ReplaceAsync(Document document, ExpressionSyntax expression, string replacement, CancellationToken cancellationToken)
    {
        var model = await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false);
        var root = await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
        if (model is null || root is null) return document;

        var arguments = model.GetOperation(expression, cancellationToken) switch
        {
            IInvocationOperation invocation => invocation.Arguments,
            IObjectCreationOperation creation => creation.Arguments,
            _ => ImmutableArray<IArgumentOperation>.Empty,
        };

        // Keep the arguments the user wrote, named after the counterpart's parameters.
        var mapped = new List<ArgumentSyntax>();
        foreach (var argument in arguments)
        {
            if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Parameter is null || argument.Syntax is not ArgumentSyntax syntax) continue;
            if (OptimizerCounterparts.ParameterFor(argument.Parameter.Name) is not { } name) continue;
            mapped.Add(SyntaxFactory.Argument(SyntaxFactory.NameColon(name), default, syntax.Expression.WithoutTrivia()));
        }

        var type = SyntaxFactory.ParseTypeName($"global::{OptimizerCounterparts.Namespace}.{replacement}").WithAdditionalAnnotations(Simplifier.Annotation);
        var creationSyntax = SyntaxFactory.ObjectCreationExpression(type)
            .WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(mapped)))
            .WithTriviaFrom(expression);
        return document.WithSyntaxRoot(root.ReplaceNode(expression, creationSyntax));
    }
}
