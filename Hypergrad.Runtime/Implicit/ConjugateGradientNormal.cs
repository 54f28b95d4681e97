using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Implicit;

/// <summary>
/// Conjugate gradient on the normal equations (A + ρI)ᵀ(A + ρI) x = (A + ρI)ᵀ v, i.e.
/// (I − J)(I − Jᵀ) x = (I − J) v for a fixed-point map: correct for non-symmetric maps (e.g. momentum
/// or Adam steps). Two products per iteration (Jᵀ by backward, J by the double-backward trick).
/// Tolerance applies to the normal-equation residual; the reported residual is ‖Ax − v‖/‖v‖ (one
/// more product).
/// </summary>
public sealed class ConjugateGradientNormal : ImplicitSolver
{
    /// <inheritdoc/>
    public override Method Method => Method.ConjugateGradientNormal;

    /// <inheritdoc/>
    public override LinearSolution Solve(LinearSystem system, Tensor v, Tensor? initial)
    {
        var rhs = system.ApplyTransposed(v, Rho);
        var normal = ConjugateGradient.Run(this, y =>
        {
            using var ay = system.Apply(y, Rho);
            return system.ApplyTransposed(ay, Rho);
        }, rhs, StartAt(v, initial), initial is not null);
        double residual = system.RelativeResidual(normal.X, v, Rho);
        ThrowIfNotFinite(residual, "residual", normal.Iterations);
        return normal with { RelativeResidual = residual };
    }
}
