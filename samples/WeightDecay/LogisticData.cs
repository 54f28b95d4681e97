using Hypergrad;
using Hypergrad.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace WeightDecay;

/// <summary>A binary classification problem split into training, validation and held-out test parts.</summary>
public sealed record LogisticData(Tensor TrainX, Tensor TrainY, Tensor ValidationX, Tensor ValidationY, Tensor TestX, Tensor TestY)
{
    /// <summary>Number of features.</summary>
    public int Features => (int)TrainX.shape[1];

    /// <summary>
    /// The data of hypergrad's and hypertorch's logistic-regression examples, x ~ N(0, I_d) and
    /// y = [xᵀw + σ·ε > 0], except that only the first <paramref name="informative"/> weights of w are
    /// non-zero (so some features are pure noise and deserve a large decay) and σ = <paramref name="noise"/>.
    /// <paramref name="count"/> examples are split 50/50 into training and validation, plus as many again
    /// for a held-out test set that the tuning never sees.
    /// </summary>
    public static LogisticData Synthetic(int count, int features, int seed, int informative, double noise)
    {
        var generator = new Generator((ulong)seed);
        var w = randn(features, generator: generator);
        if (informative < features) w[TensorIndex.Slice(informative)] = zeros(features - informative);
        Tensor x = randn(2 * count, features, generator: generator);
        Tensor y = (x.matmul(w) + noise * randn(2 * count, generator: generator)).gt(0).to_type(ScalarType.Float32);
        int half = count / 2;
        return new LogisticData(x[..half], y[..half], x[half..count], y[half..count], x[count..], y[count..]);
    }

    /// <summary>
    /// A CSV file of numbers with a 0/1 target column, shuffled and split 50/25/25 into training, validation
    /// and test; features are standardised with the training part's mean and deviation.
    /// </summary>
    public static LogisticData FromCsv(string path, string targetColumn, int seed)
    {
        var (features, target) = CsvFile.Read(path).SplitTarget(targetColumn);
        if (!target.eq(0).logical_or(target.eq(1)).all().item<bool>())
            throw new HypergradException($"Column '{targetColumn}' of '{path}' must hold only 0 and 1 (the two classes); encode the classes that way.");
        long n = features.shape[0];
        if (n < 8) throw new HypergradException($"'{path}' has {n} rows; the sample needs at least 8 to split into training, validation and test.");
        var order = randperm(n, generator: new Generator((ulong)seed));
        features = features.index_select(0, order);
        target = target.index_select(0, order);
        long train = n / 2, validation = n / 4;
        var mean = features[..(int)train].mean(new long[] { 0 });
        var deviation = features[..(int)train].std(0).clamp_min(1e-8);
        features = (features - mean) / deviation;
        return new LogisticData(
            features[..(int)train], target[..(int)train],
            features[(int)train..(int)(train + validation)], target[(int)train..(int)(train + validation)],
            features[(int)(train + validation)..], target[(int)(train + validation)..]);
    }
}
