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
using Microsoft.CodeAnalysis.Editing;

namespace Hypergrad.CodeFixers;

/// <summary>
/// HG0008 on <c>opt.step()</c>: removes the statement. It is not rewritten to the differentiable API because there is
/// no one-to-one counterpart: <c>DifferentiableOptimizer.Step(parameters, gradients, state)</c> returns new parameters
/// and a new state instead of updating the optimizer's parameters, and a bare <c>step()</c> names none of the three.
/// Inside a Hypergrad class the inner steps belong to the generated <c>Run</c>, which takes them with
/// <c>BilevelOptions.InnerOptimizer</c> (differentiated through in unrolled methods), so the call is dropped.
/// Offered only when the call is a statement of its own (its result unused); <c>var loss = opt.step(closure)</c> gets no fix.
/// Also offered on CS1061 for <c>opt.step()</c> on a differentiable optimizer: what the construction fix leaves when
/// applied first (the declared type changes, the call no longer compiles).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RemoveOptimizerStepCodeFix)), Shared]
public sealed class RemoveOptimizerStepCodeFix : CodeFixProvider
{
    /// <inheritdoc />
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(UseDifferentiableOptimizerCodeFix.DiagnosticId, MissingMemberId);

    /// <summary>CS1061 (no such member): <c>opt.step()</c> left behind after the construction fix made <c>opt</c> differentiable.</summary>
    private const string MissingMemberId = "CS1061";

    /// <inheritdoc />
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc />
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        if (root is null) return;
        foreach (var diagnostic in context.Diagnostics)
        {
            var node = root.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true);
            if (node.AncestorsAndSelf().OfType<InvocationExpressionSyntax>().FirstOrDefault() is not { } invocation) continue;
            bool applies = diagnostic.Id == MissingMemberId
                ? await IsStepOnDifferentiableOptimizerAsync(context.Document, invocation, context.CancellationToken).ConfigureAwait(false)
                : diagnostic.Properties.ContainsKey(DiagnosticProperties.OptimizerStep);
            if (!applies) continue;
            if (StatementOf(invocation) is not { } statement) continue;
            context.RegisterCodeFix(
                CodeAction.Create($"Remove {invocation.WithoutTrivia()}: Run takes the inner steps with InnerOptimizer",
                    cancellationToken => RemoveAsync(context.Document, statement, cancellationToken),
                    equivalenceKey: nameof(RemoveOptimizerStepCodeFix)),
                diagnostic);
        }
    }

    /// <summary>Whether <paramref name="invocation"/> is <c>x.step(…)</c> or <c>x?.step(…)</c> on a Hypergrad differentiable optimizer.</summary>
    private static async Task<bool> IsStepOnDifferentiableOptimizerAsync(Document document, InvocationExpressionSyntax invocation, CancellationToken cancellationToken)
    {
        ExpressionSyntax? receiver = invocation.Expression switch
        {
            MemberAccessExpressionSyntax { Name.Identifier.ValueText: "step" } access => access.Expression,
            MemberBindingExpressionSyntax { Name.Identifier.ValueText: "step" } when invocation.Parent is ConditionalAccessExpressionSyntax conditional => conditional.Expression,
            _ => null,
        };
        if (receiver is null || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } model) return false;
        for (var type = model.GetTypeInfo(receiver, cancellationToken).Type; type is not null; type = type.BaseType)
            if (type.ToDisplayString() == $"{OptimizerCounterparts.Namespace}.DifferentiableOptimizer") return true;
        return false;
    }

    /// <summary>The statement that is nothing but <paramref name="invocation"/> (<c>opt.step();</c>, <c>opt?.step();</c>), else null.</summary>
    private static ExpressionStatementSyntax? StatementOf(InvocationExpressionSyntax invocation)
    {
        SyntaxNode outermost = invocation;
        // opt?.step(): the invocation is the WhenNotNull part of a conditional access.
        while (outermost.Parent is ConditionalAccessExpressionSyntax access && access.WhenNotNull == outermost) outermost = access;
        while (outermost.Parent is ParenthesizedExpressionSyntax parenthesized) outermost = parenthesized;
        return outermost.Parent as ExpressionStatementSyntax;
    }

    private static async Task<Document> RemoveAsync(Document document, ExpressionStatementSyntax statement, CancellationToken cancellationToken)
    {
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        if (statement.Parent is BlockSyntax or SwitchSectionSyntax)
            editor.RemoveNode(statement, SyntaxRemoveOptions.KeepNoTrivia);
        else
            // The body of an if/else/loop: an empty block keeps it a statement (removing it would not compile).
            editor.ReplaceNode(statement, SyntaxFactory.Block()
                .WithOpenBraceToken(SyntaxFactory.Token(SyntaxKind.OpenBraceToken).WithTrailingTrivia(SyntaxFactory.Space))
                .WithTriviaFrom(statement));
        return editor.GetChangedDocument();
    }
}
