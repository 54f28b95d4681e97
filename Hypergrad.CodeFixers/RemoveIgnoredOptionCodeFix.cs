using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Hypergrad.CodeFixers;

/// <summary>HG0016: removes the <c>Name = value</c> argument the chosen method ignores from the attribute.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveIgnoredOptionCodeFix)), Shared]
public sealed class RemoveIgnoredOptionCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create("HG0016");

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            // The diagnostic is on the argument itself; on the whole attribute (no source) there is nothing to remove.
            if (root.FindNode(diagnostic.Location.SourceSpan) is not AttributeArgumentSyntax { NameEquals: { } name } argument) continue;
            context.RegisterCodeFix(
                CodeAction.Create($"Remove the ignored option {name.Name.Identifier.ValueText}",
                    _ => Task.FromResult(context.Document.WithSyntaxRoot(root.RemoveNode(argument, SyntaxRemoveOptions.KeepNoTrivia)!)),
                    equivalenceKey: nameof(RemoveIgnoredOptionCodeFix)),
                diagnostic);
        }
    }
}
