using System.Linq;
using Hypergrad.Implicit;
using static TorchSharp.torch;

namespace Hypergrad.Unrolled;

/// <summary>
/// The implicit operations of a composition (ConjugateGradient, Neumann): the implicit hypergradient of the
/// implicit engine, evaluated at an iterate of the trajectory (the last one, or PTT's worst one).
/// </summary>
static class ImplicitAtIterate
{
    /// <summary>Checks the settings before anything runs; returns the solver.</summary>
    public static ImplicitSolver SolverFor(UnrollSession session, Method method)
    {
        var problem = session.Problem;
        var solver = session.Options.ImplicitSolver ?? ImplicitSolver.Create(method);
        if (solver.Method != method)
            throw new HypergradException($"The composition asks for {method} but UnrolledOptions.ImplicitSolver is a {solver.Method} solver; pass a {method} solver or change the operation.");
        if (problem.Outer is null)
            throw new HypergradException($"{method} in a composition differentiates with respect to the outer variables, but the problem has none; pass the outer parameter set " +
                "(for iMAML-style InitializationUnroll + ConjugateGradient: the meta-initialization that the inner objective's proximal term uses).");
        return solver;
    }

    /// <summary>The implicit engine's result at <paramref name="w"/>; the inner variables are restored afterwards.</summary>
    public static HypergradientResult Compute(UnrollSession session, Tensor w, ImplicitSolver solver)
    {
        var problem = session.Problem;

        // The engine works at the variables' current values: put the iterate there, and the old values back.
        using var saved = problem.Inner.Flat.detach().clone();
        try
        {
            using (no_grad()) problem.Inner.Flat.copy_(w.detach());
            using var engine = new ImplicitHypergradient(problem.Inner, problem.Outer!, solver);
            return engine.Compute(session.InnerObjectiveAt(session.Options.UnrollSteps - 1), problem.OuterObjective);
        }
        finally
        {
            using (no_grad()) problem.Inner.Flat.copy_(saved);
        }
    }
}
