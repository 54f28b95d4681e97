using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Hypergrad.Analyzers;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Formatting;
using Microsoft.CodeAnalysis.Simplification;

namespace Hypergrad.CodeFixers;

/// <summary>
/// HG0013: rewrites <c>Operations</c> to the valid list the analyzer proposes (the largest part of the written list,
/// in stage order, that the runtime's composition rules accept).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UseValidOperationsCodeFix)), Shared]
public sealed class UseValidOperationsCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("HG0013");

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            if (!diagnostic.Properties.TryGetValue(DiagnosticProperties.ValidOperations, out var valid) || string.IsNullOrEmpty(valid)) continue;
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax argument) continue;
            var elements = valid!.Split(',').Select(name => SyntaxFactory.ParseExpression($"global::Hypergrad.Operation.{name}").WithAdditionalAnnotations(Simplifier.Annotation));
            var list = SyntaxFactory.ImplicitArrayCreationExpression(
                    SyntaxFactory.InitializerExpression(SyntaxKind.ArrayInitializerExpression, SyntaxFactory.SeparatedList(elements)))
                .WithAdditionalAnnotations(Formatter.Annotation);
            var rewritten = argument.WithExpression(list).WithTriviaFrom(argument);
            context.RegisterCodeFix(
                CodeAction.Create($"Use Operations = [{valid!.Replace(",", ", ")}]",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.ReplaceNode(argument, rewritten))),
                    equivalenceKey: nameof(UseValidOperationsCodeFix)),
                diagnostic);
        }
    }
}
