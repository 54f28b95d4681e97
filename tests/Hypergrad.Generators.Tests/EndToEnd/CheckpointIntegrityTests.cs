using TorchSharp;
using static TorchSharp.torch;
using static Hypergrad.Generators.Tests.EndToEnd.RunEndToEndTests;

namespace Hypergrad.Generators.Tests.EndToEnd;

/// <summary>
/// A checkpoint is resumed only into the run it belongs to: same settings (or on purpose), an intact file, a writable
/// path; and extending a finished run to more steps is bitwise the longer uninterrupted run, for every method family.
/// </summary>
public sealed class CheckpointIntegrityTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("hypergrad-integrity-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static BilevelOptions Options(int steps, string? path, double innerLr = 0.1, double outerLr = 0.1) => new()
    {
        Steps = steps, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(innerLr, momentum: 0.5),
        OuterOptimizer = new DifferentiableAdam(outerLr), CheckpointPath = path,
    };

    private string Checkpoint(string name, int steps = 11)
    {
        var data = new RidgeData();
        string path = Path.Combine(folder, name);
        var problem = new RidgeDecay(data.InitialWeight);
        problem.Run(Cycle(data.Train), Cycle(data.Validation), Options(steps, path));
        return path;
    }

    [Fact]
    public void ResumingUnderOtherSettingsIsRefusedWithEachDifference()
    {
        string path = Checkpoint("settings.ckpt");
        byte[] before = File.ReadAllBytes(path);
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var options = Options(21, path, innerLr: 0.2);
        options.Patience = 3;
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), options));

        Assert.Contains(path, error.Message);
        Assert.Contains("InnerOptimizer.LearningRate: checkpoint 0.1, this run 0.2", error.Message);
        Assert.Contains("Patience: checkpoint 0, this run 3", error.Message);
        Assert.DoesNotContain("OuterOptimizer", error.Message);
        Assert.Contains("AllowSettingsChange", error.Message);
        // Nothing was restored or overwritten.
        AssertClose(data.InitialWeight, problem.Model.weight);
        Assert.Equal(before, File.ReadAllBytes(path));
    }

    [Fact]
    public void TheOuterOptimizersHyperparametersArePartOfTheSettings()
    {
        string path = Checkpoint("outer.ckpt");
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), Options(21, path, outerLr: 0.5)));
        Assert.Contains("OuterOptimizer.LearningRate: checkpoint 0.1, this run 0.5", error.Message);

        var torchOptim = new RidgeDecay(data.InitialWeight);
        error = Assert.Throws<HypergradException>(() => torchOptim.Run(Cycle(data.Train), Cycle(data.Validation), new BilevelOptions
        {
            Steps = 21, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1, momentum: 0.5),
            OuterOptimizer = torch.optim.SGD(new[] { torchOptim.LogDecay }, 0.1), CheckpointPath = path,
        }));
        Assert.Contains("OuterOptimizer: checkpoint DifferentiableAdam, this run SGD", error.Message);

        // torch.optim: the param group's options (learning rate, momentum, …) are compared too.
        string torchPath = Path.Combine(folder, "torch.ckpt");
        BilevelOptions TorchOptions(RidgeDecay p, double momentum) => new()
        {
            Steps = 11, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = torch.optim.SGD(new[] { p.LogDecay }, 0.1, momentum: momentum), CheckpointPath = torchPath,
        };
        var first = new RidgeDecay(data.InitialWeight);
        first.Run(Cycle(data.Train), Cycle(data.Validation), TorchOptions(first, 0.9));
        var second = new RidgeDecay(data.InitialWeight);
        error = Assert.Throws<HypergradException>(() => second.Run(Cycle(data.Train), Cycle(data.Validation), TorchOptions(second, 0.5)));
        Assert.Contains("OuterOptimizer.group0.momentum: checkpoint 0.9, this run 0.5", error.Message);
        Assert.DoesNotContain("LearningRate", error.Message);
    }

    [Fact]
    public void AllowSettingsChangeResumesUnderTheNewSettingsOnPurpose()
    {
        var data = new RidgeData();
        string path = Checkpoint("allowed.ckpt");
        var resumed = new RidgeDecay(data.InitialWeight);
        var options = Options(21, path, innerLr: 0.05);
        options.AllowSettingsChange = true;
        var rest = resumed.Run(Cycle(data.Train), Cycle(data.Validation), options);
        Assert.Equal(11, rest.ResumedFromStep);

        // The same resume under the checkpoint's own settings: the first two outer losses (before the resume) agree,
        // the later ones differ, so the new inner learning rate is in effect.
        var same = new RidgeDecay(data.InitialWeight);
        string copy = Checkpoint("allowed-reference.ckpt");
        var sameRest = same.Run(Cycle(data.Train), Cycle(data.Validation), Options(21, copy));
        Assert.Equal(sameRest.OuterLosses.Take(2), rest.OuterLosses.Take(2));
        Assert.Equal(4, rest.OuterLosses.Count);
        Assert.NotEqual(sameRest.OuterLosses[3], rest.OuterLosses[3]);
    }

    [Theory]
    [InlineData(0.0)]    // the header
    [InlineData(0.3)]
    [InlineData(0.6)]
    [InlineData(0.999)]  // the outer optimizer's state at the end
    public void ACheckpointWithOneByteFlippedIsRefusedNamingTheFile(double where)
    {
        string path = Checkpoint($"flipped{where}.ckpt");
        byte[] bytes = File.ReadAllBytes(path);
        int at = Math.Min(bytes.Length - 1, (int)(where * bytes.Length) + (where == 0 ? 3 : 0));
        bytes[at] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), Options(21, path)));
        Assert.Contains($"'{path}'", error.Message);
        Assert.True(error.Message.Contains("corrupted") || error.Message.Contains("not a Hypergrad checkpoint"), error.Message);
        Assert.Contains("Delete it", error.Message);
        AssertClose(data.InitialWeight, problem.Model.weight);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(10)]
    [InlineData(100)]
    [InlineData(-1)]   // one byte short
    public void ATruncatedCheckpointIsRefusedNamingTheFile(int keep)
    {
        string path = Checkpoint($"truncated{keep}.ckpt");
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..(keep >= 0 ? keep : bytes.Length - 1)]);

        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train), Cycle(data.Validation), Options(21, path)));
        Assert.Contains($"'{path}'", error.Message);
        Assert.Contains("truncated", error.Message);
    }

    [Fact]
    public void AnUnwritableCheckpointPathIsRefusedBeforeTheFirstStep()
    {
        string blocker = Path.Combine(folder, "a-file");
        File.WriteAllText(blocker, "not a folder");
        string path = Path.Combine(blocker, "run.ckpt");
        var data = new RidgeData();
        var problem = new RidgeDecay(data.InitialWeight);
        int steps = 0;
        var error = Assert.Throws<HypergradException>(() => problem.Run(Cycle(data.Train).Select(b => { steps++; return b; }), Cycle(data.Validation), Options(21, path)));
        Assert.Contains($"CheckpointPath '{path}' cannot be written", error.Message);
        Assert.DoesNotContain(".tmp", error.Message);
        Assert.Equal(0, steps);
        AssertClose(data.InitialWeight, problem.Model.weight);
    }

    [Fact]
    public void AMissingCheckpointFolderIsCreated()
    {
        var data = new RidgeData();
        string path = Path.Combine(folder, "new", "sub", "run.ckpt");
        new RidgeDecay(data.InitialWeight).Run(Cycle(data.Train), Cycle(data.Validation), Options(6, path));
        Assert.True(File.Exists(path));
    }

    public static TheoryData<string, int> ExtensionCases => new()
    {
        // Method family, first length: 23 and 18 end between windows (the case that was 23 % off), 21 on a boundary.
        { "ReverseUnroll", 23 }, { "ReverseUnroll", 18 }, { "ReverseUnroll", 21 },
        { "ReverseRecompute", 23 }, { "TruncatedUnroll", 23 }, { "Maml", 23 }, { "ConjugateGradient", 23 },
    };

    [Theory]
    [MemberData(nameof(ExtensionCases))]
    public void ExtendingAFinishedRunIsBitwiseTheLongerUninterruptedRun(string method, int firstSteps)
    {
        const int Steps = 31;
        var data = new RidgeData(seed: 4);
        (Func<BilevelOptions, BilevelRunResult> Run, Func<Tensor[]> Values) Make()
        {
            IEnumerable<(Tensor, Tensor)> Train() => DistinctBatches(data.Train);
            IEnumerable<(Tensor, Tensor)> Validation() => Cycle(data.Validation);
            switch (method)
            {
                case "ReverseUnroll": { var p = new UnrolledRidgeDecay(data.InitialWeight); return (o => p.Run(Train(), Validation(), o), () => [p.LogDecay, p.Model.weight]); }
                case "ReverseRecompute": { var p = new RecomputedRidgeDecay(data.InitialWeight); return (o => p.Run(Train(), Validation(), o), () => [p.LogDecay, p.Model.weight]); }
                case "TruncatedUnroll": { var p = new TruncatedRidgeDecay(data.InitialWeight); return (o => p.Run(Train(), Validation(), o), () => [p.LogDecay, p.Model.weight]); }
                case "Maml": { var p = new Maml(data.InitialWeight); return (o => p.Run(Train(), Validation(), o), () => [p.MetaInit.weight, p.Adapted.weight]); }
                default: { var p = new RidgeDecay(data.InitialWeight); return (o => p.Run(Train(), Validation(), o), () => [p.LogDecay, p.Model.weight]); }
            }
        }
        BilevelOptions Options(int steps, string? path) => new()
        {
            Steps = steps, UnrollSteps = 5, InnerOptimizer = new DifferentiableSgd(0.05, momentum: 0.5),
            OuterOptimizer = new DifferentiableAdam(0.05), CheckpointPath = path,
        };

        var reference = Make();
        var full = reference.Run(Options(Steps, null));

        string path = Path.Combine(folder, $"extend-{method}-{firstSteps}.ckpt");
        var first = Make();
        var shortRun = first.Run(Options(firstSteps, path));
        var extended = Make();
        var rest = extended.Run(Options(Steps, path));

        Assert.Equal(full.OuterSteps, rest.OuterSteps);
        Assert.Equal(full.OuterLosses, rest.OuterLosses);
        for (int i = 0; i < 2; i++)
            Assert.Equal(reference.Values()[i].detach().data<double>().ToArray(), extended.Values()[i].detach().data<double>().ToArray());
        Assert.True(rest.ResumedFromStep <= firstSteps);

        // Resuming the finished short run with its own Steps gives the short run again, bitwise.
        var again = Make();
        string copy = Path.Combine(folder, $"again-{method}-{firstSteps}.ckpt");
        var firstAgain = Make();
        firstAgain.Run(Options(firstSteps, copy));
        var replay = again.Run(Options(firstSteps, copy));
        Assert.Equal(shortRun.OuterLosses, replay.OuterLosses);
        for (int i = 0; i < 2; i++)
            Assert.Equal(firstAgain.Values()[i].detach().data<double>().ToArray(), again.Values()[i].detach().data<double>().ToArray());
    }
}
