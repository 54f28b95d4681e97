using System.Globalization;
using Hypergrad;
using Hypergrad.Solving;
using static TorchSharp.torch;

namespace HyperCleaning;

/// <summary>
/// How a run computes its hypergradient: one of the <see cref="DataCleaning"/> subclasses and the options that
/// replace its attribute's at run time (null keeps the attribute's). On the command line:
/// <c>cg</c>, <c>cg:warm</c>, <c>nystrom:rank=20:rho=0.1</c>, <c>nystrom-cg:rank=50:refresh=10:warm</c>, <c>reverse</c>
/// (options: iterations, tolerance, rank, rho, refresh, warm).
/// </summary>
public sealed record CleaningMethod(Method Method)
{
    /// <summary>Start each linear solve from the previous outer step's solution.</summary>
    public bool WarmStart { get; init; }
    /// <summary>Iteration budget of the linear solve.</summary>
    public int? Iterations { get; init; }
    /// <summary>Relative residual at which the linear solve stops.</summary>
    public double? Tolerance { get; init; }
    /// <summary>Nyström sketch size.</summary>
    public int? Rank { get; init; }
    /// <summary>Nyström damping ρ of (H + ρI)⁻¹ (not the classifier's ridge).</summary>
    public double? Rho { get; init; }
    /// <summary>Nyström-preconditioned CG: outer steps between two sketches.</summary>
    public int? SketchRefresh { get; init; }

    /// <summary>The sample's default: CG, at most 20 iterations, tolerance 1e-4, cold start.</summary>
    public static CleaningMethod ConjugateGradient => new(Hypergrad.Method.ConjugateGradient);

    /// <summary>The problem for this method, its settings replaced by the options set here.</summary>
    public DataCleaning Create(int samples, int features, int classes, double ridge)
    {
        DataCleaning problem = Method switch
        {
            Hypergrad.Method.ConjugateGradient => new ConjugateGradientCleaning(samples, features, classes, ridge),
            Hypergrad.Method.NystromConjugateGradient => new NystromConjugateGradientCleaning(samples, features, classes, ridge),
            Hypergrad.Method.Nystrom => new NystromCleaning(samples, features, classes, ridge),
            Hypergrad.Method.ReverseUnroll => new ReverseModeCleaning(samples, features, classes, ridge),
            _ => throw new ArgumentException($"The hyper-cleaning sample has no class for Method.{Method}; use ConjugateGradient, NystromConjugateGradient, Nystrom or ReverseUnroll."),
        };
        var bilevel = AsRunnable(problem).BilevelProblem;
        var s = bilevel.Settings;
        bilevel.Settings = s with
        {
            WarmStart = WarmStart ? true : s.WarmStart,
            Iterations = Iterations ?? s.Iterations,
            Tolerance = Tolerance ?? s.Tolerance,
            Rank = Rank ?? s.Rank,
            Rho = Rho ?? s.Rho,
            SketchRefresh = SketchRefresh ?? s.SketchRefresh,
        };
        return problem;
    }

    /// <summary>The generated members every subclass has.</summary>
    public static IBilevelProblemClass<(Tensor x, Tensor y), (Tensor x, Tensor y)> AsRunnable(DataCleaning problem) =>
        (IBilevelProblemClass<(Tensor x, Tensor y), (Tensor x, Tensor y)>)problem;

    /// <summary>A name for tables, with the options in effect (<paramref name="settings"/>: the problem's after <see cref="Create"/>).</summary>
    public static string Describe(HypergradientSettings settings, int unrollSteps)
    {
        string solve = $"≤ {settings.Iterations} iterations, tol {settings.Tolerance:0e0}{(settings.WarmStart == true ? ", warm start" : "")}";
        return settings.Method switch
        {
            Hypergrad.Method.ConjugateGradient => $"CG ({solve})",
            Hypergrad.Method.NystromConjugateGradient => $"Nyström-PCG (rank {settings.Rank}, sketch every {settings.SketchRefresh ?? 10} steps, {solve})",
            Hypergrad.Method.Nystrom => $"Nyström (rank {settings.Rank}, ρ {settings.Rho:G3})",
            Hypergrad.Method.ReverseUnroll => $"reverse mode ({unrollSteps} steps)",
            _ => settings.Method.ToString(),
        };
    }

    /// <summary>Reads one method of the <c>--methods</c> option (see the type's summary).</summary>
    public static CleaningMethod Parse(string text)
    {
        var parts = text.Split(':');
        var method = parts[0] switch
        {
            "cg" => new CleaningMethod(Hypergrad.Method.ConjugateGradient),
            "nystrom-cg" => new CleaningMethod(Hypergrad.Method.NystromConjugateGradient),
            "nystrom" => new CleaningMethod(Hypergrad.Method.Nystrom),
            "reverse" => new CleaningMethod(Hypergrad.Method.ReverseUnroll),
            _ => throw new ArgumentException($"Option --methods: unknown method '{parts[0]}' in '{text}'; use cg, nystrom-cg, nystrom or reverse, e.g. 'cg:warm nystrom:rank=20:rho=0.1'."),
        };
        // Each method's own options: the runtime would ignore another method's (HG0016 is a compile-time warning only).
        string[] known = parts[0] switch
        {
            "cg" => ["warm", "iterations", "tolerance", "rho"],
            "nystrom-cg" => ["warm", "iterations", "tolerance", "rho", "rank", "refresh"],
            "nystrom" => ["rank", "rho"],
            _ => [],
        };
        foreach (var option in parts.Skip(1))
        {
            var (key, value) = option.Split('=') is [var k, var v] ? (k, v) : (option, "");
            if (!known.Contains(key))
                throw new ArgumentException($"Option --methods: '{key}' in '{text}' is not an option of {parts[0]}" +
                                            (known.Length == 0 ? ", which takes none." : $"; it takes {string.Join(", ", known)}."));
            int Int() => int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                : throw new ArgumentException($"Option --methods: '{key}' in '{text}' must be a positive integer, not '{value}'.");
            double Number() => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out var x) && x > 0 && double.IsFinite(x) ? x
                : throw new ArgumentException($"Option --methods: '{key}' in '{text}' must be a positive number, not '{value}'.");
            method = key switch
            {
                "warm" when value == "" => method with { WarmStart = true },
                "iterations" => method with { Iterations = Int() },
                "tolerance" => method with { Tolerance = Number() },
                "rank" => method with { Rank = Int() },
                "rho" => method with { Rho = Number() },
                "refresh" => method with { SketchRefresh = Int() },
                _ => throw new ArgumentException($"Option --methods: '{option}' in '{text}' must be warm, iterations=N, tolerance=X, rank=N, rho=X or refresh=N."),
            };
        }
        return method;
    }
}
