using Hypergrad.Data;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Hypergrad.Tests.Data;

public sealed class CsvFileTests : IDisposable
{
    readonly string folder = Directory.CreateTempSubdirectory("hypergrad-csv-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    string Write(string text)
    {
        var path = Path.Combine(folder, $"{Guid.NewGuid():N}.csv");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Reads_a_header_and_splits_off_the_target_column()
    {
        var path = Write("\"x1\",x2,label\n0.5,-1e-3,1\n\n2,3.25,0\n");

        var table = CsvFile.Read(path, dtype: ScalarType.Float64);
        var (features, target) = table.SplitTarget("label");

        Assert.Equal(new[] { "x1", "x2", "label" }, table.ColumnNames);
        Assert.Equal(2, table.RowCount);
        Assert.Equal(new long[] { 2, 2 }, features.shape);
        Assert.Equal(new[] { 0.5, -1e-3, 2, 3.25 }, features.data<double>().ToArray());
        Assert.Equal(new[] { 1.0, 0.0 }, target.data<double>().ToArray());
    }

    [Fact]
    public void A_file_without_header_gets_positional_column_names()
    {
        var path = Write("1;2\n3;4\n");

        var table = CsvFile.Read(path, separator: ';');

        Assert.Equal(new[] { "c0", "c1" }, table.ColumnNames);
        Assert.Equal(ScalarType.Float32, table.Values.dtype);
        Assert.Equal(new[] { 1f, 2f, 3f, 4f }, table.Values.data<float>().ToArray());
    }

    [Fact]
    public void A_text_cell_is_refused_with_its_line_and_column()
    {
        var path = Write("a,b\n1,2\n3,setosa\n");

        var e = Assert.Throws<HypergradException>(() => CsvFile.Read(path));

        Assert.Contains("line 3, column 'b'", e.Message);
        Assert.Contains("'setosa' is not a number", e.Message);
    }

    [Fact]
    public void Missing_values_are_refused_rather_than_read_as_nan()
    {
        var path = Write("a,b\n1,\n");
        var e = Assert.Throws<HypergradException>(() => CsvFile.Read(path));
        Assert.Contains("line 2, column 'b'", e.Message);

        var nan = Write("1,NaN\n");
        Assert.Throws<HypergradException>(() => CsvFile.Read(nan));
    }

    [Fact]
    public void A_ragged_row_names_its_line_and_the_expected_width()
    {
        var path = Write("a,b,c\n1,2,3\n4,5\n");

        var e = Assert.Throws<HypergradException>(() => CsvFile.Read(path));

        Assert.Contains("line 3: 2 cells but the header has 3", e.Message);
    }

    [Fact]
    public void An_unknown_target_column_lists_the_columns()
    {
        var table = CsvFile.Read(Write("a,b\n1,2\n"));
        var e = Assert.Throws<HypergradException>(() => table.SplitTarget("y"));
        Assert.Contains("'a', 'b'", e.Message);
    }

    [Fact]
    public void A_missing_file_is_a_hypergrad_exception()
    {
        var e = Assert.Throws<HypergradException>(() => CsvFile.Read(Path.Combine(folder, "absent.csv")));
        Assert.Contains("absent.csv", e.Message);
    }
}
