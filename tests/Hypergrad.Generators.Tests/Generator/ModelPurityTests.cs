using System.Collections;
using System.Reflection;
using Hypergrad.Generators.Tests.Infrastructure;
using Microsoft.CodeAnalysis;

namespace Hypergrad.Generators.Tests.Generator;

/// <summary>
/// The pipeline's models hold only strings, numbers, enums and equatable arrays: a Roslyn symbol, syntax node,
/// compilation or location kept in a model would pin whole compilations in memory and defeat caching.
/// </summary>
public class ModelPurityTests
{
    /// <summary>The models the pipeline's extraction step produced (read from its tracked outputs: the types are internal).</summary>
    private static List<object> Models(params string[] sources)
    {
        var (driver, _) = TestCompilation.Generate(TestCompilation.Create(sources));
        return driver.GetRunResult().Results.Single().TrackedSteps[TrackingNames.Extracted]
            .SelectMany(step => step.Outputs).Select(output => output.Value).Where(value => value is not null).ToList()!;
    }

    private static Type ModelType => Models(Sources.WeightDecay).Single().GetType();

    private static readonly Type[] Forbidden = { typeof(ISymbol), typeof(SyntaxNode), typeof(Compilation), typeof(Location), typeof(SemanticModel), typeof(SyntaxTree), typeof(AttributeData) };

    [Fact]
    public void ModelTypesDeclareOnlyPlainData()
    {
        var visited = new HashSet<Type>();
        var offenders = new List<string>();
        Assert.Equal("ProblemModel", ModelType.Name);
        Visit(ModelType, "ProblemModel", visited, offenders);
        Assert.True(offenders.Count == 0, string.Join("\n", offenders));
        Assert.Contains(visited, t => t.Name == "VariableModel");
        Assert.Contains(visited, t => t.Name == "SettingsModel");
    }

    [Fact]
    public void ExtractedModelValuesHoldNoRoslynObjects()
    {
        var models = Models(Sources.WeightDecay, Sources.Shapes);
        Assert.Equal(3, models.Count);
        foreach (var model in models)
        {
            Assert.NotNull(model);
            AssertPlain(model!, "model");
        }
    }

    [Fact]
    public void EqualDeclarationsGiveEqualModels()
    {
        var first = Models(Sources.WeightDecay).Single();
        var second = Models(Sources.WeightDecay).Single();
        Assert.NotSame(first, second);
        Assert.Equal(first, second);
        Assert.Equal(first.GetHashCode(), second.GetHashCode());
    }

    private static void Visit(Type type, string path, HashSet<Type> visited, List<string> offenders)
    {
        if (!visited.Add(type)) return;
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal)) return;
        if (Nullable.GetUnderlyingType(type) is { } underlying)
        {
            Visit(underlying, path, visited, offenders);
            return;
        }
        if (Forbidden.Any(f => f.IsAssignableFrom(type)))
        {
            offenders.Add($"{path} is a {type.Name}");
            return;
        }
        if (type.IsGenericType && type.GetGenericTypeDefinition().Name == "EquatableArray`1" && type.Namespace == ModelType.Namespace)
        {
            Visit(type.GetGenericArguments()[0], path + "[]", visited, offenders);
            return;
        }
        if (type.Namespace != ModelType.Namespace)
        {
            offenders.Add($"{path} is a {type.FullName}, not a model type, string, number, enum or EquatableArray");
            return;
        }
        foreach (var field in type.GetFields(BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic))
            Visit(field.FieldType, $"{path}.{field.Name}", visited, offenders);
    }

    private static void AssertPlain(object value, string path)
    {
        switch (value)
        {
            case null or string or Enum:
                return;
            case ISymbol or SyntaxNode or Compilation or Location or SyntaxTree:
                Assert.Fail($"{path} holds a {value.GetType().Name}");
                return;
        }
        var type = value.GetType();
        if (type.IsPrimitive) return;
        if (value is IEnumerable items)
        {
            int i = 0;
            foreach (var item in items) AssertPlain(item, $"{path}[{i++}]");
            return;
        }
        foreach (var property in type.GetProperties(BindingFlags.Instance | BindingFlags.Public).Where(p => p.GetIndexParameters().Length == 0 && p.Name != "EqualityContract"))
            AssertPlain(property.GetValue(value)!, $"{path}.{property.Name}");
    }
}
