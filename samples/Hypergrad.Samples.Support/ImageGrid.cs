using System;
using System.IO;
using SkiaSharp;
using static TorchSharp.torch;

namespace Hypergrad.Samples;

/// <summary>Saves small grey images (e.g. distilled Fashion-MNIST images) as one PNG grid.</summary>
public static class ImageGrid
{
    /// <summary>
    /// Writes <paramref name="images"/> (float [N, height, width]; each image is stretched to its own
    /// min–max range) as a grid of <paramref name="columns"/> columns, each pixel drawn as a
    /// <paramref name="scale"/>×<paramref name="scale"/> square. Returns the path.
    /// </summary>
    public static string Save(string path, Tensor images, int columns, int scale = 4)
    {
        if (images.dim() != 3) throw new ArgumentException($"Expected images of shape [N, height, width], got [{string.Join(", ", images.shape)}].", nameof(images));
        int count = (int)images.shape[0], height = (int)images.shape[1], width = (int)images.shape[2];
        int rows = (count + columns - 1) / columns, gap = 2;
        using var bitmap = new SKBitmap(columns * (width * scale + gap) + gap, rows * (height * scale + gap) + gap);
        using var canvas = new SKCanvas(bitmap);
        canvas.Clear(SKColors.White);
        using var paint = new SKPaint();

        using var scope = NewDisposeScope();
        var flat = images.detach().cpu().to_type(ScalarType.Float32).reshape(count, -1);
        var low = flat.min(1, keepdim: true).values;
        var high = flat.max(1, keepdim: true).values;
        var pixels = ((flat - low) / (high - low).clamp_min(1e-8)).data<float>().ToArray();
        for (int n = 0; n < count; n++)
        {
            int left = gap + (n % columns) * (width * scale + gap), top = gap + (n / columns) * (height * scale + gap);
            for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                byte level = (byte)Math.Round(255 * (1 - pixels[n * height * width + y * width + x])); // dark on white
                paint.Color = new SKColor(level, level, level);
                canvas.DrawRect(left + x * scale, top + y * scale, scale, scale, paint);
            }
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        using var file = File.Create(path);
        bitmap.Encode(file, SKEncodedImageFormat.Png, 100);
        return path;
    }
}
