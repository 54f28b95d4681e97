using Hypergrad.Optimizers;
using Hypergrad.Solving;
using Xunit;

namespace Hypergrad.Tests.SingleLoop;

/// <summary>
/// Replacing a problem's settings while a joint method's Run uses them is refused, from the run's own callback (the
/// running state would keep the old settings) and from another thread (the problem is in use); after the run it works.
/// </summary>
public class SettingsDuringRunTests
{
    [Fact]
    public void Replacing_settings_during_a_joint_run_is_refused_and_allowed_after_it()
    {
        var quadratic = new BilevelQuadratic(new HypergradientSettings(Method.Soba));
        var problem = quadratic.Problem;
        var original = problem.Settings;
        string? sameThread = null, otherThread = null;
        BilevelSolver.Run(problem, quadratic.Train(), quadratic.Validation(), new BilevelOptions
        {
            Steps = 3,
            InnerOptimizer = new DifferentiableSgd(0.1),
            OuterOptimizer = new DifferentiableSgd(0.1),
            AfterOuterStep = _ =>
            {
                if (sameThread is not null) return;
                sameThread = Assert.Throws<HypergradException>(() => problem.Settings = original with { Tolerance = 1e-3 }).Message;
                // A thread of its own (a Task could be inlined on this thread by Wait).
                Exception? error = null;
                var thread = new Thread(() => error = Record.Exception(() => problem.Settings = original with { Tolerance = 1e-3 }));
                thread.Start();
                thread.Join();
                otherThread = Assert.IsType<HypergradException>(error).Message;
            },
        });

        Assert.Contains("Settings cannot be replaced during a Run of Method.Soba", sameThread);
        Assert.Contains("replacing Settings was called on thread", otherThread);
        Assert.Same(original, problem.Settings);
        problem.Settings = original with { Tolerance = 1e-3 };   // between runs: accepted
        Assert.Equal(1e-3, problem.Settings.Tolerance);
    }
}
