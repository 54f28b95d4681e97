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
using Microsoft.CodeAnalysis.Editing;
using Microsoft.CodeAnalysis.Operations;
using Microsoft.CodeAnalysis.Simplification;

namespace Hypergrad.CodeFixers;

/// <summary>
/// HG0008: replaces a built-in <c>torch.optim</c> optimizer by the runtime's differentiable counterpart,
/// <c>torch.optim.SGD(parameters, 0.1, momentum: 0.9)</c> → <c>new DifferentiableSgd(learningRate: 0.1, momentum: 0.9)</c>.
/// The parameter list is dropped (differentiable optimizers take parameters at each step); every other argument the
/// counterpart's constructor takes is kept under its name there (lr → learningRate, weight_decay → weightDecay,
/// amsgrad → amsgrad), the rest (maximize, …) dropped. A variable, field or property declared with a torch.optim
/// type gets the counterpart's type, so <c>Optimizer opt = …</c> and <c>opt ??= …</c> still compile.
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
        var editor = await DocumentEditor.CreateAsync(document, cancellationToken).ConfigureAwait(false);
        var model = editor.SemanticModel;

        var arguments = model.GetOperation(expression, cancellationToken) switch
        {
            IInvocationOperation invocation => invocation.Arguments,
            IObjectCreationOperation creation => creation.Arguments,
            _ => ImmutableArray<IArgumentOperation>.Empty,
        };

        // Keep every argument the user wrote that the counterpart's constructor takes, named after its parameter.
        var counterpart = model.Compilation.GetTypeByMetadataName($"{OptimizerCounterparts.Namespace}.{replacement}");
        var accepted = new HashSet<string>(counterpart?.InstanceConstructors.SelectMany(c => c.Parameters).Select(p => p.Name) ?? Enumerable.Empty<string>());
        var mapped = new List<ArgumentSyntax>();
        foreach (var argument in arguments)
        {
            if (argument.ArgumentKind != ArgumentKind.Explicit || argument.Parameter is null || argument.Syntax is not ArgumentSyntax syntax) continue;
            string name = OptimizerCounterparts.ParameterFor(argument.Parameter.Name) ?? CamelCase(argument.Parameter.Name);
            if (!accepted.Contains(name)) continue;
            mapped.Add(SyntaxFactory.Argument(SyntaxFactory.NameColon(name), default, syntax.Expression.WithoutTrivia()));
        }

        var type = SyntaxFactory.ParseTypeName($"global::{OptimizerCounterparts.Namespace}.{replacement}").WithAdditionalAnnotations(Simplifier.Annotation);
        var creationSyntax = SyntaxFactory.ObjectCreationExpression(type)
            .WithArgumentList(SyntaxFactory.ArgumentList(SyntaxFactory.SeparatedList(mapped)))
            .WithTriviaFrom(expression);
        editor.ReplaceNode(expression, creationSyntax);

        // A variable, field or property declared as a torch.optim optimizer (Optimizer opt = …, opt ??= …) now holds
        // the counterpart, which is no torch.optim.Optimizer: its declared type changes too (else CS0029/CS0019).
        if (DeclaredTypeOfTarget(expression, model, cancellationToken) is { } declaredType && declaredType.SyntaxTree == expression.SyntaxTree
            && model.GetTypeInfo(declaredType, cancellationToken).Type is { } current && IsTorchOptimizer(current))
        {
            TypeSyntax newType = declaredType is NullableTypeSyntax ? SyntaxFactory.NullableType(type) : type;
            editor.ReplaceNode(declaredType, newType.WithTriviaFrom(declaredType));
        }
        return editor.GetChangedDocument();
    }

    /// <summary>The type syntax of what <paramref name="expression"/> is stored in: a declared variable, property or assigned member.</summary>
    private static TypeSyntax? DeclaredTypeOfTarget(ExpressionSyntax expression, SemanticModel model, CancellationToken cancellationToken)
    {
        SyntaxNode outermost = expression;
        while (outermost.Parent is ParenthesizedExpressionSyntax parenthesized) outermost = parenthesized;
        var parent = outermost.Parent;
        switch (parent)
        {
            case EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } declaration } }:
                return declaration.Type.IsVar ? null : declaration.Type;
            case EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax property }:
                return property.Type;
            case AssignmentExpressionSyntax assignment when assignment.Right == outermost:
                var target = model.GetSymbolInfo(assignment.Left, cancellationToken).Symbol;
                var declaring = target?.DeclaringSyntaxReferences.FirstOrDefault()?.GetSyntax(cancellationToken);
                return declaring switch
                {
                    VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax { Variables.Count: 1 } declaration } => declaration.Type.IsVar ? null : declaration.Type,
                    PropertyDeclarationSyntax property => property.Type,
                    _ => null,
                };
            default:
                return null;
        }
    }

    private static bool IsTorchOptimizer(ITypeSymbol type)
    {
        for (var current = type; current is not null; current = current.BaseType)
            if (current.ToDisplayString() is "TorchSharp.torch.optim.Optimizer") return true;
        return false;
    }

    /// <summary>torch.optim's snake_case parameter names in the counterpart's camelCase (weight_decay → weightDecay).</summary>
    private static string CamelCase(string name)
    {
        var parts = name.Split('_');
        return parts[0] + string.Concat(parts.Skip(1).Where(p => p.Length > 0).Select(p => char.ToUpperInvariant(p[0]) + p.Substring(1)));
    }
}
