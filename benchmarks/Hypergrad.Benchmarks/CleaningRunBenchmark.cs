using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using HyperCleaning;

namespace Hypergrad.Benchmarks;

/// <summary>
/// Whole hyper-cleaning runs (the sample's default protocol, seed 0: 5000 training images with half the labels wrong,
/// 1000 validation images, 40 outer steps of 20 inner steps) with every linear solve run to the same tolerance:
/// CG from zero, CG warm-started, and Nyström-preconditioned CG reusing its sketch. Totals are the runs' summed
/// certificates (<c>BilevelRunResult.HessianVectorProducts</c>: a sketch's products are in the step that built it).
/// All variants run in this process, interleaved (each repetition runs every variant once, in turn), and each time
/// is a ratio against the CG-from-zero run of the same repetition, so load on the machine cancels out.
/// </summary>
sealed class CleaningRunBenchmark(int repetitions, double tolerance = 1e-4, int iterations = 1000)
{
    public void Run(TextWriter output, TextWriter progress)
    {
        var settings = new HyperCleaningSettings { OutputDirectory = null, Baselines = false, TrackTestAccuracy = false };
        var data = HyperCleaningSample.Load(settings);
        CleaningMethod Cg(bool warm) => new(Method.ConjugateGradient) { Iterations = iterations, Tolerance = tolerance, WarmStart = warm };
        CleaningMethod Pcg(int rank, int refresh, bool warm) =>
            new(Method.NystromConjugateGradient) { Iterations = iterations, Tolerance = tolerance, WarmStart = warm, Rank = rank, SketchRefresh = refresh };
        // Nyström-PCG: the default refresh (10) at rank 50, then the small grid of rank and refresh tried to reach half of CG's products.
        var variants = new (string Name, CleaningMethod Method)[]
        {
            ("CG from zero", Cg(false)),
            ("CG warm-started", Cg(true)),
            ("Nyström-PCG, rank 50, sketch every 10 steps", Pcg(50, 10, false)),
            ("Nyström-PCG, rank 50, sketch every 10 steps, warm-started", Pcg(50, 10, true)),
            ("Nyström-PCG, rank 100, sketch every 20 steps, warm-started", Pcg(100, 20, true)),
            ("Nyström-PCG, rank 200, sketch every 40 steps, warm-started", Pcg(200, 40, true)),
        };
        output.WriteLine($"Hyper-cleaning runs: {settings.TrainCount} training images ({settings.CorruptedFraction:P0} mislabelled), {settings.ValidationCount} validation, " +
                         $"{settings.OuterSteps} outer steps of {settings.UnrollSteps} inner steps, {data.TrainX.shape[1] * CleaningData.Classes + CleaningData.Classes} inner values, 1 thread; " +
                         $"every solve to relative residual {tolerance:0e0} (at most {iterations} iterations); {repetitions} interleaved repetition{(repetitions > 1 ? "s" : "")}.");

        var runs = variants.Select(_ => new List<CleaningRun>()).ToArray();
        for (int r = 0; r < repetitions; r++)
            for (int v = 0; v < variants.Length; v++)
            {
                runs[v].Add(HyperCleaningSample.Clean(data, settings, variants[v].Method, TextWriter.Null));
                progress.WriteLine($"  repetition {r + 1}, {variants[v].Name}: {runs[v][^1].HessianVectorProducts} HVPs, {runs[v][^1].Elapsed.TotalSeconds:F1} s");
            }

        output.WriteLine();
        output.WriteLine("| variant | total HVPs | HVPs per outer step | HVPs / CG from zero | HVPs / CG warm-started | CG iterations per outer step | time / CG from zero | test accuracy | outer steps within tolerance |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|");
        var cold = runs[0];
        var warm = runs[1][0];
        for (int v = 0; v < variants.Length; v++)
        {
            var first = runs[v][0];
            var ratios = runs[v].Select((run, r) => run.Elapsed.TotalSeconds / cold[r].Elapsed.TotalSeconds).ToArray();
            // The runs are deterministic: every repetition must end with the same numbers (only the time varies).
            bool repeatable = runs[v].All(run => run.HessianVectorProducts == first.HessianVectorProducts && run.TestAccuracy == first.TestAccuracy);
            string time = ratios.Length == 1 ? $"{ratios[0]:F2}" : $"{ratios.Average():F2} ({string.Join(", ", ratios.Select(x => x.ToString("F2")))})";
            output.WriteLine($"| {variants[v].Name} | {first.HessianVectorProducts} | {(double)first.HessianVectorProducts / first.OuterSteps:F1} | " +
                             $"{(double)first.HessianVectorProducts / cold[0].HessianVectorProducts:F2} | {(double)first.HessianVectorProducts / warm.HessianVectorProducts:F2} | " +
                             $"{(double)first.SolveIterations / first.OuterSteps:F1} | {time} | " +
                             $"{first.TestAccuracy:P2}{(repeatable ? "" : " (differs between repetitions)")} | {first.OuterSteps - first.OuterStepsNotConverged} of {first.OuterSteps} |");
        }
        output.WriteLine();
        output.WriteLine($"CG from zero: {cold[0].Elapsed.TotalSeconds:F1} s per run{(repetitions > 1 ? " (first repetition)" : "")}. " +
                         "HVPs include the warm start's residual product and every sketch's products.");
    }
}
