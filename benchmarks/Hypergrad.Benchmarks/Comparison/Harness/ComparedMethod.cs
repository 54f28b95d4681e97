using System;

namespace Hypergrad.Benchmarks.Comparison;

/// <summary>
/// An entry of a task's method registry: a name, how it works, how it reads its data, and how to build the task's
/// problem class annotated for it (the <c>[Hypergradient]</c> attribute of that class holds the method's settings).
/// </summary>
/// <typeparam name="TProblem">The task's problem base class.</typeparam>
/// <param name="Name">The method's name in the table, the plot and the tuned-steps file.</param>
/// <param name="Family">How it works.</param>
/// <param name="Batching">How it reads the data, at both levels.</param>
/// <param name="Create">Builds a fresh problem (zero model, initial outer variables) counting into the counter given.</param>
public sealed record ComparedMethod<TProblem>(string Name, MethodFamily Family, Batching Batching, Func<EvaluationCounter, TProblem> Create);
