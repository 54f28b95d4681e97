using Hypergrad.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Data;

public class BatchSourceTests
{
    // Row i of the inputs holds (i, 10·i) and its target is i, so every batch shows which rows it took.
    static (Tensor inputs, Tensor targets) Rows(int count) =>
        (stack(new[] { arange(count, dtype: float32), 10 * arange(count, dtype: float32) }, 1), arange(count, dtype: int64));

    [Fact]
    public void Each_pass_visits_every_row_once_in_a_new_order_and_pairs_stay_aligned()
    {
        var (inputs, targets) = Rows(12);

        var batches = BatchSource.Shuffled(inputs, targets, batchSize: 4, seed: 3).Take(6).ToList();

        var firstPass = batches.Take(3).SelectMany(b => b.Targets.data<long>().ToArray()).ToArray();
        var secondPass = batches.Skip(3).SelectMany(b => b.Targets.data<long>().ToArray()).ToArray();
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), firstPass.Order());
        Assert.Equal(Enumerable.Range(0, 12).Select(i => (long)i), secondPass.Order());
        Assert.NotEqual(firstPass, secondPass);
        Assert.NotEqual(Enumerable.Range(0, 12).Select(i => (long)i), firstPass);
        foreach (var (x, y) in batches)
        {
            Assert.Equal(new long[] { 4, 2 }, x.shape);
            Assert.Equal(y.to_type(ScalarType.Float32).data<float>().ToArray(), x[.., 0].data<float>().ToArray());
        }
    }

    [Fact]
    public void The_same_seed_gives_the_same_batches_and_another_seed_does_not()
    {
        var (inputs, targets) = Rows(20);
        long[] Draw(int seed) => BatchSource.Shuffled(inputs, targets, 5, seed).Take(8)
            .SelectMany(b => b.Targets.data<long>().ToArray()).ToArray();

        Assert.Equal(Draw(7), Draw(7));
        Assert.NotEqual(Draw(7), Draw(8));
    }

    [Fact]
    public void An_incomplete_last_batch_is_dropped_so_shapes_stay_fixed()
    {
        var (inputs, targets) = Rows(10);
        var batches = BatchSource.Shuffled(inputs, targets, 4).Take(5).ToList();
        Assert.All(batches, b => Assert.Equal(4, b.Inputs.shape[0]));
    }

    [Fact]
    public void Batches_drawn_inside_a_dispose_scope_are_freed_with_it_and_the_source_keeps_working()
    {
        var (inputs, targets) = Rows(8);
        using var source = BatchSource.Shuffled(inputs, targets, 2).GetEnumerator();
        void Step()
        {
            using var scope = NewDisposeScope();
            Assert.True(source.MoveNext());
            _ = source.Current.Inputs.sum();
        }
        Step();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;

        for (int step = 0; step < 50; step++) Step();

        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Full_batch_yields_the_same_tensors_forever()
    {
        var (inputs, targets) = Rows(3);
        var batches = BatchSource.FullBatch(inputs, targets).Take(3).ToList();
        Assert.All(batches, b => Assert.Same(inputs, b.Inputs));
        Assert.All(batches, b => Assert.Same(targets, b.Targets));
    }

    [Fact]
    public void Mismatched_or_invalid_arguments_are_refused_with_the_fix()
    {
        var (inputs, _) = Rows(6);
        var e = Assert.Throws<HypergradException>(() => BatchSource.Shuffled(inputs, arange(5), 2));
        Assert.Contains("6 examples but targets have 5", e.Message);

        e = Assert.Throws<HypergradException>(() => BatchSource.Shuffled(inputs, arange(6), 7));
        Assert.Contains("from 1 to 6", e.Message);
    }
}
