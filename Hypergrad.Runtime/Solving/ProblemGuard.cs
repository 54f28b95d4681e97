using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Hypergrad.Autograd;
using Hypergrad.Parameters;
using static TorchSharp.torch;

namespace Hypergrad.Solving;

/// <summary>
/// Every call from the runtime into a problem's user code (objectives, fixed-point maps, inner steps) goes through
/// here, so that what would abort libtorch later, or silently compute something else, is named at once:
/// <list type="bullet">
/// <item>the problem is used from one thread at a time (libtorch corrupts its heap when two threads drive one graph);</item>
/// <item>the batch holds no null, disposed or empty tensor;</item>
/// <item>no [Inner]/[Outer] member was reassigned since the problem was built (it would no longer be the trained tensor);</item>
/// <item>an exception from user code comes back naming the call, the batch's and the variables' shapes;</item>
/// <item>after the call: no variable was disposed, no <c>backward()</c> ran through the variables, and the result is not
/// the very tensor an earlier call returned (a cached loss, whose graph saw values since modified in place).</item>
/// </list>
/// </summary>
internal sealed class ProblemGuard
{
    private readonly string problemName;
    private readonly ParameterSet[] sets;
    private readonly Dictionary<object, MemberCheck[]> memberChecks = new(ReferenceEqualityComparer.Instance);
    private int ownerThread;     // managed thread id holding the problem, 0 when free
    private int depth;

    public ProblemGuard(string problemName, params ParameterSet[] sets)
    {
        this.problemName = problemName;
        this.sets = sets;
    }

    /// <summary>
    /// Holds the problem for the current thread until disposed (re-entrant). Another thread gets a
    /// <see cref="HypergradException"/> right away, whatever the timing: one problem instance, one thread.
    /// </summary>
    public Lease Enter(string operation)
    {
        int me = Environment.CurrentManagedThreadId;
        if (Volatile.Read(ref ownerThread) != me && Interlocked.CompareExchange(ref ownerThread, me, 0) != 0)
            throw new HypergradException(
                $"{problemName}: {operation} was called on thread {me} while thread {Volatile.Read(ref ownerThread)} is using this problem instance. " +
                "A problem's variables and autograd graphs cannot be shared between threads (libtorch corrupts memory); create one instance per thread, " +
                "or wait for the other call to return.");
        depth++;
        return new Lease(this);
    }

    /// <summary>Releases <see cref="Enter"/>.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly ProblemGuard guard;
        internal Lease(ProblemGuard guard) => this.guard = guard;

        public void Dispose()
        {
            if (guard is null || --guard.depth > 0) return;
            Volatile.Write(ref guard.ownerThread, 0);
        }
    }

    /// <summary>Calls a user objective or map that returns a tensor.</summary>
    /// <param name="what">How messages name the call, e.g. "inner objective TrainLoss".</param>
    /// <param name="owner">The object whose members the variables are (the delegate's target), or null.</param>
    /// <param name="batch">The batch passed, for checks and messages (null when the call takes none).</param>
    /// <param name="call">The user code.</param>
    /// <param name="last">The previous result of this call site (to catch a cached loss); updated.</param>
    /// <param name="differentiated">False for calls whose result is never differentiated (an inner step, a map under no_grad).</param>
    /// <param name="hint">Appended to the message when the user code throws (e.g. what the argument's shape implies).</param>
    public Tensor Call(string what, object? owner, object? batch, Func<Tensor> call, ref WeakReference<Tensor>? last, bool differentiated = true, string? hint = null)
    {
        Tensor? result = null;
        Invoke(what, owner, batch, () => result = call(), differentiated, hint);
        if (result is null)
            throw new HypergradException($"{problemName}: {what} returned null; return the tensor it computes.");
        if (result.IsInvalid)
            throw new HypergradException($"{problemName}: {what} returned a disposed tensor; return the result without disposing it (no using on it).");
        if (last is not null && last.TryGetTarget(out var previous) && !previous.IsInvalid &&
            (ReferenceEquals(previous, result) || previous.Handle == result.Handle))
            throw new HypergradException(
                $"{problemName}: {what} returned the same tensor as its previous call (a loss cached across calls). Its graph was built from the " +
                "variables' values at that earlier call, which have been updated in place since: differentiating it would use stale values (or " +
                "abort in libtorch). Compute the result afresh on every call.");
        if (last is null) last = new WeakReference<Tensor>(result);
        else last.SetTarget(result);
        return result;
    }

    /// <summary>Calls user code with every check before and after it; <paramref name="call"/> is invoked once.</summary>
    public void Invoke(string what, object? owner, object? batch, Action call, bool differentiated = true, string? hint = null)
    {
        ThrowIfOtherThread(what);
        if (batch is not null) BatchCheck.ThrowIfUnusable(batch, $"{problemName}: the batch passed to {what}");
        ThrowIfReassigned(owner, what);

        // Leaves a backward() inside the call would write .grad into: the flat leaves substituted for the variables,
        // or the variables themselves when they are not substituted.
        var leaves = differentiated ? Leaves() : new List<Tensor>();
        var before = leaves.Select(LeafGradient.Fingerprint).ToArray();
        try
        {
            call();
        }
        catch (Exception e) when (e is not HypergradException and not OperationCanceledException)
        {
            ThrowIfDisposed(what);
            if (e.Message.Contains("does not have a grad_fn", StringComparison.Ordinal))
                throw new HypergradException(
                    $"{problemName}: {what} ran a backward pass (it called backward() on a loss) while Hypergrad evaluated it without a graph: " +
                    $"{FirstLine(e.Message)} Return the loss without calling backward(); Hypergrad computes every derivative itself.", e);
            throw new HypergradException(
                $"{problemName}: {what} threw {e.GetType().Name}: {FirstLine(e.Message)} " +
                $"It was called with {(batch is null ? "no batch" : "a batch of " + BatchCheck.Describe(batch))}, and the variables are {DescribeVariables()}. " +
                $"Check that {what} computes with shapes and dtypes that match these (the original error is the InnerException)." +
                (hint is null ? "" : " " + hint), e);
        }
        ThrowIfDisposed(what);
        for (int i = 0; i < leaves.Count; i++)
            if (!leaves[i].IsInvalid && LeafGradient.Fingerprint(leaves[i]) != before[i])
                throw new HypergradException(
                    $"{problemName}: {what} ran a backward pass through the variables (it called backward() on a loss): that frees the graph Hypergrad " +
                    "differentiates and changes the variables' .grad. Return the loss without calling backward(); Hypergrad computes every derivative itself.");
    }

    private void ThrowIfOtherThread(string what)
    {
        int owner = Volatile.Read(ref ownerThread);
        if (owner != 0 && owner != Environment.CurrentManagedThreadId)
            throw new HypergradException(
                $"{problemName}: {what} was called on thread {Environment.CurrentManagedThreadId} while thread {owner} is using this problem instance; " +
                "create one instance per thread.");
    }

    private List<Tensor> Leaves()
    {
        var leaves = new List<Tensor>();
        foreach (var set in sets)
        {
            if (set.ActiveSubstitution is not null)
            {
                foreach (var leaf in set.ActiveLeaves)
                    if (!leaf.IsInvalid) leaves.Add(leaf);
                continue;
            }
            foreach (var (_, tensor) in set)
                if (!tensor.IsInvalid) leaves.Add(tensor);
        }
        return leaves;
    }

    private void ThrowIfDisposed(string what)
    {
        foreach (var set in sets)
            foreach (var (name, tensor) in set)
                if (tensor.IsInvalid)
                    throw new HypergradException(
                        $"{problemName}: variable '{name}' was disposed during {what} (a using declaration or a Dispose() on it, or a module " +
                        "property setter that replaced it). Variables belong to the problem: never dispose them inside objectives" +
                        (set.ActiveSubstitution is not null ? "." : "; this instance has lost the variable, so create a new one."));
    }

    // An [Inner]/[Outer] member assigned a new tensor or module after the problem was built would simply not be
    // trained: the problem keeps the one it captured. Compare each member's current value with the captured one.
    private void ThrowIfReassigned(object? owner, string what)
    {
        if (owner is null) return;
        if (!memberChecks.TryGetValue(owner, out var checks))
            memberChecks[owner] = checks = sets.SelectMany(set => set.Sources).Select(source => MemberCheck.For(owner, source)).OfType<MemberCheck>().ToArray();
        foreach (var check in checks)
            if (!check.StillHolds(owner))
                throw new HypergradException(
                    $"{problemName}: member '{check.Name}' was assigned a new {(check.IsModule ? "module" : "tensor")} after the problem was built (found before " +
                    $"{what}). The problem trains the {(check.IsModule ? "module" : "tensor")} it captured, so the new one would never be optimized. Update the " +
                    $"existing one in place instead (e.g. using (torch.no_grad()) {check.Name}.copy_(value)), or create a new instance.");
    }

    private string DescribeVariables() =>
        string.Join(", ", sets.SelectMany(set => set).Select(v => v.Tensor.IsInvalid ? $"{v.Name} (disposed)" : $"{v.Name} {BatchCheck.Describe(v.Tensor)}"));

    private static string FirstLine(string message) => message.Split('\n')[0].Trim();

    /// <summary>A member of the owner (field or property, any accessibility, base classes included) that holds a captured source.</summary>
    private sealed class MemberCheck
    {
        private readonly Func<object, object?> read;
        private readonly object captured;

        private MemberCheck(string name, Func<object, object?> read, object captured, bool isModule)
        {
            Name = name;
            this.read = read;
            this.captured = captured;
            IsModule = isModule;
        }

        public string Name { get; }
        public bool IsModule { get; }

        public bool StillHolds(object owner) => ReferenceEquals(read(owner), captured);

        public static MemberCheck? For(object owner, ParameterSource source)
        {
            object captured = (object?)source.Module ?? source.Tensor!;
            const System.Reflection.BindingFlags flags = System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public |
                                                         System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.DeclaredOnly;
            for (var type = owner.GetType(); type is not null; type = type.BaseType)
            {
                if (type.GetProperty(source.Name, flags) is { GetMethod: not null } property && property.GetIndexParameters().Length == 0 && Holds(property.PropertyType))
                    return Readable(owner, property.GetValue) ? new MemberCheck(source.Name, property.GetValue, captured, source.Module is not null) : null;
                if (type.GetField(source.Name, flags) is { } field && Holds(field.FieldType))
                    return new MemberCheck(source.Name, field.GetValue, captured, source.Module is not null);
            }
            return null;   // not a member of this object (a hand-built problem's closure): nothing to compare
        }

        // Only members typed to hold a tensor or a module can hold a variable.
        private static bool Holds(Type type) => typeof(Tensor).IsAssignableFrom(type) || typeof(TorchSharp.torch.nn.Module).IsAssignableFrom(type);

        // A getter that throws is not checked (and not blamed).
        private static bool Readable(object owner, Func<object, object?> read)
        {
            try { read(owner); return true; }
            catch (Exception) { return false; }
        }
    }
}
