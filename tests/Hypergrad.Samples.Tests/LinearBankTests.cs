using DatasetDistillation;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Samples.Tests;

public class LinearBankTests
{
    [Fact]
    public void Every_classifier_of_the_bank_equals_plain_training_with_its_step_size_and_data()
    {
        // The reference: PlainTraining (torch.optim.SGD on autograd's gradient of the mean cross-entropy), one
        // classifier at a time. The bank writes the gradient out and trains all of them in batched products.
        manual_seed(5);
        const int steps = 25, classes = 4;
        double[] rates = [0.05, 0.5, 2.0];
        var x = randn(60, 12);
        var y = randint(classes, 60);

        using var shared = new LinearBank(rates, 12, classes);
        for (int step = 0; step < steps; step++) shared.Step(x, y);
        for (int b = 0; b < rates.Length; b++)
        {
            using var plain = PlainTraining.LinearClassifier(x, y, classes, steps, rates[b]);
            AssertClose(plain.weight!, shared.Weight[b], $"shared data, η {rates[b]}: weight");
            AssertClose(plain.bias!, shared.Bias[b], $"shared data, η {rates[b]}: bias");
        }

        // Each classifier on its own images (as the random draws are trained).
        var own = randn(rates.Length, 8, 12);
        var ownLabels = randint(classes, new long[] { rates.Length, 8 });
        using var separate = new LinearBank(rates, 12, classes);
        for (int step = 0; step < steps; step++) separate.Step(own, ownLabels);
        var accuracies = separate.Accuracies(x, y);
        for (int b = 0; b < rates.Length; b++)
        {
            using var plain = PlainTraining.LinearClassifier(own[b], ownLabels[b], classes, steps, rates[b]);
            AssertClose(plain.weight!, separate.Weight[b], $"own data, η {rates[b]}: weight");
            Assert.Equal(PlainTraining.Accuracy(plain, x, y), accuracies[b], 12);
        }
    }

    [Fact]
    public void A_step_size_that_is_not_positive_is_refused_with_its_value()
    {
        var e = Assert.Throws<ArgumentException>(() => new LinearBank([0.1, -1], 4, 2));
        Assert.Contains("-1", e.Message);
        Assert.Equal("learningRates", e.ParamName);
    }

    static void AssertClose(Tensor expected, Tensor actual, string what)
    {
        double scale = expected.abs().max().ToDouble();
        double difference = (expected.detach() - actual).abs().max().ToDouble();
        // float32: the two computations round differently, nothing more.
        Assert.True(difference <= 1e-5 * Math.Max(scale, 1), $"{what}: max difference {difference:G3} (scale {scale:G3})");
        Assert.True(scale > 1e-3, $"{what}: the classifier did not move");
    }
}
