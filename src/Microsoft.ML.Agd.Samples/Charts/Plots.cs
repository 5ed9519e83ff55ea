using Microsoft.ML.Agd.Training;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using OxyPlot.SkiaSharp;

namespace Microsoft.ML.Agd.Samples.Charts;

/// <summary>The PNG charts the verbs write: training curves, confusion matrices, comparisons and search progress.</summary>
internal static class Plots
{
    /// <summary>One line of a chart: a name, its points, and how it is drawn (a bold line stands out, a dashed one recedes).</summary>
    public sealed record Line(string Name, IReadOnlyList<(double X, double Y)> Points, bool Bold = false, bool Dashed = false);

    /// <summary>Training curves: loss, accuracy and eta per epoch, one panel each, side by side.</summary>
    public static void TrainingCurves(IReadOnlyList<AgdEpoch> history, string title, string path) => File.WriteAllBytes(path, TrainingCurves(history, title));

    /// <inheritdoc cref="TrainingCurves(IReadOnlyList{AgdEpoch}, string, string)"/>
    /// <returns>The chart as a PNG file's bytes.</returns>
    public static byte[] TrainingCurves(IReadOnlyList<AgdEpoch> history, string title)
    {
        Line Of(string name, Func<AgdEpoch, double?> value)
            => new(name, history.Where(e => value(e) is not null).Select(e => ((double)e.Epoch, value(e)!.Value)).ToList());
        var panels = new[]
        {
            LineChart($"{title}: loss", "epoch", "loss", [Of("training", e => e.TrainLoss), Of("validation", e => e.ValidationLoss)]),
            LineChart($"{title}: accuracy", "epoch", "accuracy", [Of("training", e => e.TrainAccuracy), Of("validation", e => e.ValidationAccuracy)]),
            LineChart($"{title}: AGD's automatic learning rate", "epoch", "mean eta", [Of("eta", e => e.MeanEta)]),
        };
        return SideBySide(panels, 600, 450);
    }

    private static readonly string[] s_lineColours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

    /// <summary>A chart of named lines.</summary>
    public static PlotModel LineChart(string title, string xTitle, string yTitle, IEnumerable<Line> lines)
    {
        // Eight colours told apart at a glance (OxyPlot's own fifth is a second red).
        var model = new PlotModel { Title = title, Background = OxyColors.White, DefaultColors = [.. s_lineColours.Select(OxyColor.Parse)] };
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = xTitle });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = yTitle, MajorGridlineStyle = LineStyle.Dot });
        foreach (var line in lines.Where(l => l.Points.Count > 0))
        {
            var series = new LineSeries
            {
                Title = line.Name, MarkerType = MarkerType.Circle, MarkerSize = line.Bold ? 4 : 2.5,
                StrokeThickness = line.Bold ? 4 : 1.5, LineStyle = line.Dashed ? LineStyle.Dash : LineStyle.Solid,
                Color = line.Bold ? OxyColors.Black : OxyColors.Automatic,
            };
            series.Points.AddRange(line.Points.Select(p => new DataPoint(p.X, p.Y)));
            model.Series.Add(series);
        }
        // Below the plot area, so that no curve is hidden behind it.
        model.Legends.Add(new Legend { LegendPlacement = LegendPlacement.Outside, LegendPosition = LegendPosition.BottomCenter, LegendOrientation = LegendOrientation.Horizontal });
        return model;
    }

    /// <summary>A confusion matrix as a heat map with counts, true classes down, predicted across.</summary>
    public static void ConfusionMatrix(IReadOnlyList<IReadOnlyList<double>> counts, IReadOnlyList<string> classes, string title, string path)
        => File.WriteAllBytes(path, ConfusionMatrix(counts, classes, title));

    /// <inheritdoc cref="ConfusionMatrix(IReadOnlyList{IReadOnlyList{double}}, IReadOnlyList{string}, string, string)"/>
    /// <returns>The chart as a PNG file's bytes.</returns>
    public static byte[] ConfusionMatrix(IReadOnlyList<IReadOnlyList<double>> counts, IReadOnlyList<string> classes, string title)
    {
        int n = classes.Count;
        var model = new PlotModel { Title = title, Background = OxyColors.White };
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Title = "predicted class", ItemsSource = classes, Angle = -35 });
        model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, Title = "true class", ItemsSource = classes, StartPosition = 1, EndPosition = 0 });
        model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Palette = OxyPalette.Interpolate(200, OxyColors.White, OxyColors.SteelBlue, OxyColors.DarkBlue), Title = "images" });
        var data = new double[n, n];
        for (int t = 0; t < n; t++)
            for (int p = 0; p < n; p++)
                data[p, t] = counts[t][p];
        model.Series.Add(new HeatMapSeries
        {
            X0 = 0, X1 = n - 1, Y0 = 0, Y1 = n - 1, Data = data, Interpolate = false,
            RenderMethod = HeatMapRenderMethod.Rectangles, LabelFontSize = 0.25, LabelFormatString = "0",
        });
        return Png(model, 200 + 60 * n, 160 + 55 * n);
    }

    /// <summary>
    /// Heat maps side by side, one per panel, of values in [0, 1] shown as percentages; a NaN cell (a run that diverged)
    /// is drawn blank and labelled "NaN".
    /// </summary>
    public static void HeatMaps(IReadOnlyList<(string Title, double[,] Values)> panels, IReadOnlyList<string> rows, IReadOnlyList<string> columns, string path)
    {
        var models = panels.Select(panel =>
        {
            var model = new PlotModel { Title = panel.Title, Background = OxyColors.White };
            model.Axes.Add(new CategoryAxis { Position = AxisPosition.Bottom, Title = "batch size", ItemsSource = columns });
            model.Axes.Add(new CategoryAxis { Position = AxisPosition.Left, ItemsSource = rows, StartPosition = 1, EndPosition = 0 });
            model.Axes.Add(new LinearColorAxis { Position = AxisPosition.Right, Palette = OxyPalettes.Viridis(200), Minimum = 0, Maximum = 1, InvalidNumberColor = OxyColors.LightGray });
            var data = new double[columns.Count, rows.Count];
            for (int r = 0; r < rows.Count; r++)
                for (int c = 0; c < columns.Count; c++)
                    data[c, r] = panel.Values[r, c];
            model.Series.Add(new HeatMapSeries
            {
                X0 = 0, X1 = columns.Count - 1, Y0 = 0, Y1 = rows.Count - 1, Data = data, Interpolate = false,
                RenderMethod = HeatMapRenderMethod.Rectangles, LabelFontSize = 0.2, LabelFormatString = "P1",
            });
            return model;
        }).ToList();
        File.WriteAllBytes(path, SideBySide(models, 560, 120 + 45 * rows.Count));
    }

    /// <summary>Writes one chart as a PNG.</summary>
    public static void Save(PlotModel model, string path, int width, int height) => File.WriteAllBytes(path, Png(model, width, height));

    /// <summary>One chart as a PNG file's bytes.</summary>
    public static byte[] Png(PlotModel model, int width, int height)
    {
        using var stream = new MemoryStream();
        new PngExporter { Width = width, Height = height }.Export(model, stream);
        return stream.ToArray();
    }

    /// <summary>Charts side by side in one PNG.</summary>
    public static void SideBySide(IReadOnlyList<PlotModel> panels, string path, int width, int height) => File.WriteAllBytes(path, SideBySide(panels, width, height));

    /// <summary>Charts side by side, as a PNG file's bytes.</summary>
    public static byte[] SideBySide(IReadOnlyList<PlotModel> panels, int width, int height)
    {
        using var surface = SkiaSharp.SKSurface.Create(new SkiaSharp.SKImageInfo(width * panels.Count, height));
        surface.Canvas.Clear(SkiaSharp.SKColors.White);
        for (int i = 0; i < panels.Count; i++)
        {
            using var image = SkiaSharp.SKBitmap.Decode(Png(panels[i], width, height));
            surface.Canvas.DrawBitmap(image, i * width, 0);
        }
        using var png = surface.Snapshot().Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }

    /// <summary>An image's pixels (channel-major, in [0, 1]; one channel grey, three RGB) as a PNG file's bytes.</summary>
    public static byte[] Image(float[] pixels, int channels, int height, int width)
    {
        using var bitmap = new SkiaSharp.SKBitmap(width, height, SkiaSharp.SKColorType.Rgba8888, SkiaSharp.SKAlphaType.Opaque);
        int plane = height * width;
        byte Byte(int channel, int p) => (byte)Math.Clamp(MathF.Round(pixels[(channels == 1 ? 0 : channel) * plane + p] * 255), 0, 255);
        for (int p = 0; p < plane; p++)
            bitmap.SetPixel(p % width, p / width, new SkiaSharp.SKColor(Byte(0, p), Byte(1, p), Byte(2, p)));
        using var png = bitmap.Encode(SkiaSharp.SKEncodedImageFormat.Png, 100);
        return png.ToArray();
    }
}
