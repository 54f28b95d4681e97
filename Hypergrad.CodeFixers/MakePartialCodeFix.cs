using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hypergrad.CodeFixers;

/// <summary>
/// HG0001: adds <c>partial</c> to every declaration of the <c>[Hypergradient]</c> class and of each type containing
/// it that lacks it, in whichever files they are.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(MakePartialCodeFix)), Shared]
public sealed class MakePartialCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("HG0001");

    /// <inheritdoc />
    public override FixAllProvider? GetFixAllProvider() => null;   // one fix makes the whole chain partial

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        var model = await context.Document.GetSemanticModelAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null || model is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var declaration = root.FindNode(diagnostic.Location.SourceSpan).AncestorsAndSelf().OfType<TypeDeclarationSyntax>().FirstOrDefault();
            if (declaration is null || model.GetDeclaredSymbol(declaration, context.CancellationToken) is not INamedTypeSymbol type) continue;
            context.RegisterCodeFix(
                CodeAction.Create($"Make '{type.Name}' partial", cancellationToken => MakePartialAsync(context.Document.Project.Solution, type, cancellationToken),
                    equivalenceKey: nameof(MakePartialCodeFix)),
                diagnostic);
        }
    }

    private static async Task<Solution> MakePartialAsync(Solution solution, INamedTypeSymbol type, CancellationToken cancellationToken)
    {
        var declarations = Enumerable.Empty<SyntaxReference>();
        for (var current = type; current is not null; current = current.ContainingType)
            declarations = declarations.Concat(current.DeclaringSyntaxReferences);
        foreach (var file in declarations.GroupBy(r => r.SyntaxTree))
        {
            var document = solution.GetDocument(file.Key);
            var root = document is null ? null : await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false);
            if (document is null || root is null) continue;
            var nodes = file.Select(r => r.GetSyntax(cancellationToken)).OfType<TypeDeclarationSyntax>().Where(d => !d.Modifiers.Any(SyntaxKind.PartialKeyword));
            root = root.ReplaceNodes(nodes, (_, rewritten) => AddPartial(rewritten));
            solution = solution.WithDocumentSyntaxRoot(document.Id, root);
        }
        return solution;
    }

    /// <summary>'partial' right before the keyword (class, struct, record, interface), after any other modifier.</summary>
    private static TypeDeclarationSyntax AddPartial(TypeDeclarationSyntax declaration)
    {
        if (declaration.Modifiers.Count > 0)
            return declaration.AddModifiers(SyntaxFactory.Token(SyntaxKind.PartialKeyword).WithTrailingTrivia(SyntaxFactory.Space));
        // No modifiers: 'partial' takes the keyword's leading trivia (indentation).
        var keyword = declaration.Keyword;
        var partial = SyntaxFactory.Token(keyword.LeadingTrivia, SyntaxKind.PartialKeyword, SyntaxFactory.TriviaList(SyntaxFactory.Space));
        return declaration.WithKeyword(keyword.WithLeadingTrivia()).WithModifiers(SyntaxFactory.TokenList(partial));
    }
}
