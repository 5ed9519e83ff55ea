using System.Text.Json;

namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>
/// report.html as a browser shows it: train's, evaluate's and lm train's pages opened in headless Chromium (the system's, which
/// build/test.sh installs) load every image with no script or console error, their per-class table is metrics.json's,
/// and at a fixed window size the page keeps its layout: nothing wider than the window, the sections one below the
/// other in order, the mistakes in a grid.
/// </summary>
[DoNotParallelize]
[TestClass, TestCategory(TestSetup.Integration)]
public class ReportTests
{
    private const string ChromiumPath = "/usr/bin/chromium";
    private const int WindowWidth = 1280;

    [TestMethod]
    public async Task TrainsAndEvaluatesReportsRenderWholeWithTheirMetrics()
    {
        Assert.IsTrue(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: build/test.sh installs Debian's chromium package (apt-get install chromium).");
        using var data = new TinyData();
        string idx = data.IdxFolder();
        string model = data.Path("model");
        var (code, said) = Cli.Run("train", "--data", idx, "--epochs", "1", "--width", "16", "--depth", "2", "--output", model);
        Assert.AreEqual(0, code, said);
        (code, said) = Cli.Run("evaluate", "--model", model, "--data", idx, "--output", data.Path("evaluation"));
        Assert.AreEqual(0, code, said);

        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
        using var metrics = JsonDocument.Parse(File.ReadAllText(Path.Combine(model, "metrics.json")));
        var sections = new[] { "summary", "curves", "confusion", "per-class", "mistakes", "layers", "configuration" };
        foreach (string report in new[] { Path.Combine(model, "report.html"), data.Path("evaluation", "report.html") })
        {
            var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = WindowWidth, Height = 900 } });
            var errors = new List<string>();
            page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add(m.Text); };
            page.PageError += (_, e) => errors.Add(e);
            page.RequestFailed += (_, r) => errors.Add($"failed: {r.Url}");
            await page.GotoAsync(new Uri(report).AbsoluteUri);

            // Every image decoded: the two charts and one per mistake, of which one epoch leaves some on 30 test images.
            int[] widths = await page.EvaluateAsync<int[]>("() => Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)");
            int mistakes = await page.Locator("#mistakes figure").CountAsync();
            int wrong = metrics.RootElement.GetProperty("PerClass").EnumerateArray().Sum(c => c.GetProperty("Images").GetInt32() - (int)Math.Round(c.GetProperty("Recall").GetDouble() * c.GetProperty("Images").GetInt32()));
            Assert.IsTrue(wrong > 0, "one epoch on the synthetic data leaves mistakes to show");
            Assert.AreEqual(Math.Min(wrong, Evaluation.MistakesKept), mistakes);
            Assert.AreEqual(2 + mistakes, widths.Length, report);
            Assert.IsTrue(widths.All(w => w > 0), $"{report}: an image did not load ({string.Join(", ", widths)})");
            Assert.AreEqual(0, errors.Count, string.Join("\n", errors));

            // The per-class table is metrics.json's (train's and evaluate's data are the same test files here).
            string[][] rows = await page.EvaluateAsync<string[][]>("() => Array.from(document.querySelectorAll('#per-class-table tr')).slice(1).map(r => Array.from(r.cells).map(c => c.textContent))");
            var expected = metrics.RootElement.GetProperty("PerClass").EnumerateArray().Select(c => new[]
            {
                c.GetProperty("Class").GetString()!, $"{c.GetProperty("Images").GetInt32()}",
                c.GetProperty("Recall").GetDouble().ToString("P2", System.Globalization.CultureInfo.InvariantCulture),
                c.GetProperty("Precision").GetDouble().ToString("P2", System.Globalization.CultureInfo.InvariantCulture),
                c.GetProperty("LogLoss").GetDouble().ToString("F4", System.Globalization.CultureInfo.InvariantCulture),
            }).ToList();
            Assert.AreEqual(expected.Count, rows.Length);
            for (int i = 0; i < rows.Length; i++)
                CollectionAssert.AreEqual(expected[i], rows[i], $"row {i}: {string.Join(" | ", rows[i])}");

            // The layout at a fixed window: nothing wider than it, the sections in order one below the other, the
            // mistakes several to a row.
            Assert.IsTrue(await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth") <= WindowWidth, "the page is wider than the window");
            string[] ids = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('section')).map(s => s.id)");
            CollectionAssert.AreEqual(sections, ids);
            double[][] boxes = await page.EvaluateAsync<double[][]>("() => Array.from(document.querySelectorAll('section')).map(s => { const r = s.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })");
            for (int i = 1; i < boxes.Length; i++)
                Assert.IsTrue(boxes[i][1] >= boxes[i - 1][3] && boxes[i][0] == boxes[0][0], $"section {ids[i]} overlaps or is out of line: {string.Join(" / ", boxes.Select(b => string.Join(",", b)))}");
            double[] tops = await page.EvaluateAsync<double[]>("() => Array.from(document.querySelectorAll('#mistakes figure')).map(f => f.getBoundingClientRect().top)");
            Assert.IsTrue(tops.Count(t => t == tops[0]) >= Math.Min(mistakes, 5), $"mistakes not in a grid: {string.Join(", ", tops)}");
            await page.ScreenshotAsync(new() { Path = Path.ChangeExtension(report, ".png"), FullPage = true });
            await page.CloseAsync();
        }
    }

    [TestMethod]
    public async Task ALanguageModelsReportRendersWithItsSamples()
    {
        Assert.IsTrue(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: build/test.sh installs Debian's chromium package (apt-get install chromium).");
        using var data = new TinyData();
        string text = data.Path("text.txt");
        File.WriteAllText(text, TinyLanguageModel.Text);
        var (code, said) = Cli.Run(RunConfigurationTests.SmallLanguageModel(text, data.Path("lm")));
        Assert.AreEqual(0, code, said);

        using var playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
        var page = await browser.NewPageAsync(new() { ViewportSize = new() { Width = WindowWidth, Height = 900 } });
        var errors = new List<string>();
        page.Console += (_, m) => { if (m.Type is "error" or "warning") errors.Add(m.Text); };
        page.PageError += (_, e) => errors.Add(e);
        await page.GotoAsync(new Uri(data.Path("lm", "report.html")).AbsoluteUri);

        int[] widths = await page.EvaluateAsync<int[]>("() => Array.from(document.images).map(i => i.complete ? i.naturalWidth : 0)");
        Assert.AreEqual(1, widths.Length);
        Assert.IsTrue(widths[0] > 0, "the loss curve did not load");
        Assert.AreEqual(0, errors.Count, string.Join("\n", errors));
        CollectionAssert.AreEqual(new[] { "summary", "curves", "samples", "layers", "configuration" }, await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('section')).map(s => s.id)"));
        CollectionAssert.AreEqual(new[] { "temperature 0.5", "temperature 0.8", "temperature 1" }, await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('#samples h3')).map(h => h.textContent)"));
        // The sample at nanoGPT's temperature is sample.txt's, and the configuration shown is run.json's.
        string[] samples = await page.EvaluateAsync<string[]>("() => Array.from(document.querySelectorAll('#samples pre')).map(p => p.textContent)");
        Assert.AreEqual(File.ReadAllText(data.Path("lm", "sample.txt")), samples[1]);
        Assert.AreEqual(File.ReadAllText(data.Path("lm", "run.json")), await page.EvaluateAsync<string>("() => document.querySelector('#configuration pre').textContent"));
        Assert.IsTrue(await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth") <= WindowWidth, "the page is wider than the window");
    }
}
