namespace Hypergrad.Samples.Data;

/// <summary>Which half of a dataset distributed as a training and a test part to read.</summary>
public enum DatasetSplit
{
    /// <summary>The training part (60,000 images for the MNIST family).</summary>
    Train,
    /// <summary>The test part (10,000 images for the MNIST family).</summary>
    Test,
}
