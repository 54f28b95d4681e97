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
sealed class CleaningRunBenchmark(int repetitions = 2, double tolerance = 1e-4, int iterations = 1000)
{
    static readonly (int Rank, int Refresh)[] Grid = [(20, 10), (100, 10), (200, 10), (100, 40), (200, 40)];

    public void Run(TextWriter output)
    {
        var settings = new HyperCleaningSettings { OutputDirectory = null, Baselines = false, TrackTestAccuracy = false };
        var data = HyperCleaningSample.Load(settings);
        CleaningMethod Cg(bool warm) => new(Method.ConjugateGradient) { Iterations = iterations, Tolerance = tolerance, WarmStart = warm };
        CleaningMethod Pcg(int rank, int refresh, bool warm) =>
            new(Method.NystromConjugateGradient) { Iterations = iterations, Tolerance = tolerance, WarmStart = warm, Rank = rank, SketchRefresh = refresh };
        var variants = new (string Name, CleaningMethod Method)[]
        {
            ("CG from zero", Cg(false)),
            ("CG warm-started", Cg(true)),
            ("Nyström-PCG, rank 50, sketch every 10 steps", Pcg(50, 10, false)),
            ("Nyström-PCG, rank 50, sketch every 10 steps, warm-started", Pcg(50, 10, true)),
        };
        output.WriteLine($"Hyper-cleaning runs: {settings.TrainCount} training images ({settings.CorruptedFraction:P0} mislabelled), {settings.ValidationCount} validation, " +
                         $"{settings.OuterSteps} outer steps of {settings.UnrollSteps} inner steps, {data.TrainX.shape[1] * CleaningData.Classes + CleaningData.Classes} inner values; " +
                         $"every solve to relative residual {tolerance:0e0} (at most {iterations} iterations); {repetitions} interleaved repetitions.");

        var runs = variants.Select(_ => new List<CleaningRun>()).ToArray();
        for (int r = 0; r < repetitions; r++)
            for (int v = 0; v < variants.Length; v++)
                runs[v].Add(HyperCleaningSample.Clean(data, settings, variants[v].Method, TextWriter.Null));

        output.WriteLine();
        output.WriteLine("| variant | total HVPs | HVPs per outer step | CG iterations per outer step | time / CG from zero | test accuracy | outer steps within tolerance |");
        output.WriteLine("|---|---|---|---|---|---|---|");
        var baseline = runs[0];
        for (int v = 0; v < variants.Length; v++)
        {
            var first = runs[v][0];
            var ratios = runs[v].Select((run, r) => run.Elapsed.TotalSeconds / baseline[r].Elapsed.TotalSeconds).ToArray();
            // The runs are deterministic: every repetition must end with the same numbers (only the time varies).
            bool repeatable = runs[v].All(run => run.HessianVectorProducts == first.HessianVectorProducts && run.TestAccuracy == first.TestAccuracy);
            output.WriteLine($"| {variants[v].Name} | {first.HessianVectorProducts} | {(double)first.HessianVectorProducts / first.OuterSteps:F1} | " +
                             $"{(double)first.SolveIterations / first.OuterSteps:F1} | {ratios.Average():F2} ({string.Join(", ", ratios.Select(x => x.ToString("F2")))}) | " +
                             $"{first.TestAccuracy:P2}{(repeatable ? "" : " (differs between repetitions)")} | {first.OuterSteps - first.OuterStepsNotConverged} of {first.OuterSteps} |");
        }
        double cgColdTime = baseline.Average(run => run.Elapsed.TotalSeconds);
        output.WriteLine();
        output.WriteLine($"CG from zero: {baseline[0].HessianVectorProducts / (double)baseline[0].OuterSteps:F1} HVPs per outer step, {cgColdTime:F1} s per run (mean). " +
                         "Goal: Nyström-PCG at most half of that. " +
                         string.Join("; ", Enumerable.Range(2, variants.Length - 2).Select(v =>
                             $"{variants[v].Name}: {(double)runs[v][0].HessianVectorProducts / baseline[0].HessianVectorProducts:F2} of CG from zero's HVPs, " +
                             $"{(double)runs[v][0].HessianVectorProducts / runs[1][0].HessianVectorProducts:F2} of CG warm-started's")) + ".");

        output.WriteLine();
        output.WriteLine("Nyström-PCG's rank and sketch refresh (warm-started, one run each, time against the mean CG-from-zero run above):");
        output.WriteLine();
        output.WriteLine("| rank | sketch every | total HVPs | HVPs per outer step | CG iterations per outer step | HVPs / CG warm-started | time / CG from zero | test accuracy | outer steps within tolerance |");
        output.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (var (rank, refresh) in Grid)
        {
            var run = HyperCleaningSample.Clean(data, settings, Pcg(rank, refresh, true), TextWriter.Null);
            output.WriteLine($"| {rank} | {refresh} | {run.HessianVectorProducts} | {(double)run.HessianVectorProducts / run.OuterSteps:F1} | {(double)run.SolveIterations / run.OuterSteps:F1} | " +
                             $"{(double)run.HessianVectorProducts / runs[1][0].HessianVectorProducts:F2} | {run.Elapsed.TotalSeconds / cgColdTime:F2} | {run.TestAccuracy:P2} | " +
                             $"{run.OuterSteps - run.OuterStepsNotConverged} of {run.OuterSteps} |");
        }
    }
}
