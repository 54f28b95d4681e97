// Few-shot sinusoid regression: meta-learn an initialization with iMAML (implicit) and MAML (unrolled), against tuned baselines.
//   dotnet run -c Release --project samples/FewShotSinusoid [-- --seeds 3 --shots 5,10 --outer-steps 100 --tasks 32]
using System.Globalization;
using FewShotSinusoid;
using Hypergrad.Samples;

return SampleProgram.Run(args, options =>
{
    var defaults = options.WithCommonOptions(new FewShotSettings());
    var seeds = options.Get("seeds", defaults.Seeds);
    if (seeds < 1) throw new ArgumentException($"Option --seeds must be at least 1, not {seeds}.");
    var shotsText = options.Get("shots", string.Join(",", defaults.Shots));
    var shots = shotsText.Split(',').Select(s => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) && k >= 1 ? k
        : throw new ArgumentException($"Option --shots must be a comma-separated list of positive integers (e.g. 5,10), not '{shotsText}'.")).ToArray();
    var tasks = options.Get("tasks", defaults.TasksPerMetaBatch);
    if (tasks < 1) throw new ArgumentException($"Option --tasks (tasks per meta-batch) must be at least 1, not {tasks}.");
    if (defaults.OuterSteps < 1) throw new ArgumentException($"Option --outer-steps (meta-steps) must be at least 1, not {defaults.OuterSteps}.");
    return defaults with
    {
        Seeds = seeds,
        Shots = shots,
        TasksPerMetaBatch = tasks,
        InnerLearningRate = options.Get("inner-lr", defaults.InnerLearningRate),
        Proximal = options.Get("proximal", defaults.Proximal),
        Damping = options.Get("damping", defaults.Damping),
        CgIterations = options.Get("cg-iterations", defaults.CgIterations),
        CgTolerance = options.Get("cg-tolerance", defaults.CgTolerance),
        MamlSteps = options.Get("maml-steps", defaults.MamlSteps),
        MamlLearningRate = options.Get("maml-lr", defaults.MamlLearningRate),
        MetaLearningRate = options.Get("outer-lr", defaults.MetaLearningRate),
        TestTasks = options.Get("test-tasks", defaults.TestTasks),
        AgreementTasks = options.Get("agreement-tasks", defaults.AgreementTasks),
    };
}, settings => FewShotSample.RunAll(settings));
