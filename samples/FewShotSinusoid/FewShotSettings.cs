using Hypergrad.Samples;

namespace FewShotSinusoid;

/// <summary>The sample's knobs; the defaults are the README run.</summary>
public sealed record FewShotSettings : SampleSettings
{
    /// <summary>
    /// The README run: 125 meta-steps (<see cref="SampleSettings.OuterSteps"/>) of 8 tasks, 16 iMAML adaptation steps.
    /// The authors average 32 tasks per meta-step; 8 keep all seeds and shot counts within about five minutes on 2 cores.
    /// </summary>
    public FewShotSettings() { OuterSteps = 125; UnrollSteps = 16; Seed = 0; }

    /// <summary>Support points per task (K-shot): one run, tables and plot per entry.</summary>
    public IReadOnlyList<int> Shots { get; init; } = [5, 10];
    /// <summary>Query points per meta-training task.</summary>
    public int Queries { get; init; } = 10;
    /// <summary>Tasks whose meta-gradients each meta-step averages.</summary>
    public int TasksPerMetaBatch { get; init; } = 8;
    /// <summary>Adam step size on the initialization (both methods, and the pretrained baseline).</summary>
    public double MetaLearningRate { get; init; } = 0.01;
    /// <summary>Seeds run: <see cref="SampleSettings.Seed"/>, Seed + 1, ….</summary>
    public int Seeds { get; init; } = 3;

    /// <summary>iMAML: gradient steps on the proximal support loss per task (<see cref="SampleSettings.UnrollSteps"/>).</summary>
    public int InnerSteps => UnrollSteps;
    /// <summary>iMAML: their step size.</summary>
    public double InnerLearningRate { get; init; } = 0.1;
    /// <summary>iMAML: the proximal strength λ.</summary>
    public double Proximal { get; init; } = 2.0;
    /// <summary>iMAML: the damping ρ of the CG system (∇²L + (λ + ρ)I) x = ∇F.</summary>
    public double Damping { get; init; } = 22;
    /// <summary>iMAML: CG iteration budget.</summary>
    public int CgIterations { get; init; } = 5;
    /// <summary>iMAML: CG relative-residual tolerance.</summary>
    public double CgTolerance { get; init; } = 1e-2;

    /// <summary>MAML: adaptation steps differentiated through.</summary>
    public int MamlSteps { get; init; } = 10;
    /// <summary>MAML: their step size.</summary>
    public double MamlLearningRate { get; init; } = 0.01;

    /// <summary>Tasks the baselines' fine-tuning is chosen on (never the test tasks).</summary>
    public int ValidationTasks { get; init; } = 50;
    /// <summary>Held-out tasks the methods are compared on.</summary>
    public int TestTasks { get; init; } = 200;
    /// <summary>Query points per validation and test task.</summary>
    public int TestQueries { get; init; } = 100;
    /// <summary>Fine-tuning grid of the baselines: step sizes (fixed, and a line search from the largest).</summary>
    public IReadOnlyList<double> TuningLearningRates { get; init; } = [0.003, 0.01, 0.03, 0.1];
    /// <summary>Fine-tuning grid of the baselines: step counts.</summary>
    public IReadOnlyList<int> TuningSteps { get; init; } = [0, 1, 2, 5, 10, 20, 40];
    /// <summary>Tasks on which the iMAML meta-gradient is compared with its references after meta-training (first seed only).</summary>
    public int AgreementTasks { get; init; } = 3;
}
