using Hypergrad;
using TorchSharp;
using static TorchSharp.torch;

namespace Hypergrad.Generators.Tests.EndToEnd;

// The joint (single-loop and Hessian-free) methods written in the DSL alone: one problem declared once, and one
// subclass per method that differs only in its [Hypergradient] attribute. A batch of g carries (A, b), a batch of F
// carries c:
//   inner g(w, λ) = ½ wᵀAw − (b + λ)ᵀw,   outer F(w) = ½‖w − c‖²,
// so w*(λ) = A⁻¹(b + λ), and F(w*(λ)) = 0 is reached at λ* = Ac − b, w* = c: the bilevel solution in closed form.
// There ∇F = 0 and w = w*(λ), so it is also the fixed point of the penalty methods (any σ) and of BOME (q = 0, ∇q = 0).

/// <summary>
/// The problem's variables and objectives. The numbers TorchSharp needs (½, and the 1 that <c>a + b</c> converts
/// implicitly) are Scalars kept in static fields: a temporary Scalar can be freed by the GC while libtorch reads it
/// (docs/reliability.md), and these runs evaluate the objectives tens of thousands of times.
/// </summary>
public abstract class JointQuadratic
{
    static readonly Scalar Half = 0.5.ToScalar(), One = 1.ToScalar(), MinusOne = (-1).ToScalar();

    [Inner] public Tensor W { get; } = zeros(3, dtype: float64).requires_grad_(true);
    [Outer] public Tensor Lambda { get; } = zeros(3, dtype: float64).requires_grad_(true);

    [InnerObjective] public Tensor G(Tensor a, Tensor b) => W.dot(a.mv(W)).mul(Half).add(b.add(Lambda, One).dot(W), MinusOne);

    [OuterObjective]
    public Tensor F(Tensor c)
    {
        var d = W.add(c, MinusOne);
        return d.dot(d).mul(Half);
    }
}

[Hypergradient(Method.Soba, StepExponent = 0)]
public partial class SobaQuadratic : JointQuadratic { }

[Hypergradient(Method.Saba)]
public partial class SabaQuadratic : JointQuadratic { }

[Hypergradient(Method.MaSoba)]
public partial class MaSobaQuadratic : JointQuadratic { }

[Hypergradient(Method.Amigo)]
public partial class AmigoQuadratic : JointQuadratic { }

[Hypergradient(Method.StocBio, AuxiliaryStepSize = 0.3, Iterations = 60)]
public partial class StocBioQuadratic : JointQuadratic { }

[Hypergradient(Method.F2sa)]
public partial class F2saQuadratic : JointQuadratic { }

[Hypergradient(Method.Bome)]
public partial class BomeQuadratic : JointQuadratic { }

[Hypergradient(Method.Pgdm)]
public partial class PgdmQuadratic : JointQuadratic { }
