using Hypergrad;
using Hypergrad.Data;
using Hypergrad.Optimizers;
using Hypergrad.Solving;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>
/// Every joint method through the generated <c>Run</c> of a class that differs from the others only in its attribute
/// (<see cref="JointQuadratic"/>), on one batch per level (the deterministic setting): the iterates reach the closed-form
/// bilevel solution λ* = Ac − b, w* = c (to rounding), and the Hessian-free ones count no Hessian-vector product.
/// </summary>
public class JointMethodsEndToEndTests(ITestOutputHelper output)
{
    static Tensor A() => QuadraticData.A();
    static Tensor B() => QuadraticData.B();
    static Tensor C() => QuadraticData.C();

    public static TheoryData<string> Methods => new() { "Soba", "Saba", "MaSoba", "Amigo", "StocBio", "F2sa", "Bome", "Pgdm" };

    static (JointQuadratic Problem, Func<IEnumerable<(Tensor, Tensor)>, IEnumerable<Tensor>, BilevelOptions, BilevelRunResult> Run) Create(string method)
    {
        JointQuadratic problem = method switch
        {
            "Soba" => new SobaQuadratic(),
            "Saba" => new SabaQuadratic(),
            "MaSoba" => new MaSobaQuadratic(),
            "Amigo" => new AmigoQuadratic(),
            "StocBio" => new StocBioQuadratic(),
            "F2sa" => new F2saQuadratic(),
            "Bome" => new BomeQuadratic(),
            _ => new PgdmQuadratic(),
        };
        var runnable = (IBilevelProblemClass<(Tensor, Tensor), Tensor>)problem;
        return (problem, (train, validation, options) => runnable.Run(train, validation, options));
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void Each_joint_method_reaches_the_closed_form_bilevel_solution_through_the_DSL(string method)
    {
        var (problem, run) = Create(method);
        var result = run(new FiniteBatches<(Tensor, Tensor)>([(A(), B())], 0), new FiniteBatches<Tensor>([C()], 1), new BilevelOptions
        {
            Steps = 2000,
            InnerOptimizer = new DifferentiableSgd(0.2),
            OuterOptimizer = new DifferentiableSgd(0.2),
        });
        var lambdaStar = A().mv(C()) - B();
        double lambdaError = (problem.Lambda.detach() - lambdaStar).norm().item<double>() / lambdaStar.norm().item<double>();
        double wError = (problem.W.detach() - C()).norm().item<double>() / C().norm().item<double>();
        output.WriteLine($"{method}: λ error {lambdaError:E2}, w error {wError:E2}");
        Assert.Equal(2000, result.OuterSteps);
        Assert.True(lambdaError < 1e-10 && wError < 1e-10, $"{method}: λ error {lambdaError:E2}, w error {wError:E2}");
        // The certificate's count: the Hessian-free methods use no Hessian-vector product, the others do.
        bool hessianFree = method is "F2sa" or "Bome" or "Pgdm";
        Assert.Equal(hessianFree, result.HessianVectorProducts == 0);
    }
}
