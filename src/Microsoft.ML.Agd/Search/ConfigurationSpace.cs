namespace Microsoft.ML.Agd.Search;

/// <summary>The configurations a search may try: the options' lists, or defaults derived from the data.</summary>
internal sealed class ConfigurationSpace
{
    private readonly List<AgdConfiguration> _all;

    public ConfigurationSpace(AgdSearchOptions options, bool imageShapeKnown, long inputSize)
    {
        var architectures = Or(options.Architectures, imageShapeKnown ? [AgdArchitecture.Fcn, AgdArchitecture.ResNet18] : [AgdArchitecture.Fcn]);
        if (!imageShapeKnown && architectures.Any(AgdNetworks.IsConvolutional))
            throw new ArgumentException("The search space has a ResNet but the image shape is unknown: set AgdSearchOptions.ImageShape, or keep to Fcn.", nameof(options));
        // The automatic batch follows the gradient noise as each trial trains, so the batch is not searched unless asked.
        var batches = Or(options.BatchSizes.Select(b => (int?)b).ToList(), [null]);
        var depths = Or(options.Depths, [2, 3, 4]);
        var widths = Or(options.Widths, Widths(inputSize));
        var baseWidths = Or(options.BaseWidths, [8]);
        var losses = Or(options.Losses, [AgdLoss.CrossEntropy]);
        _all = architectures.SelectMany(a => a == AgdArchitecture.Fcn
                ? from d in depths from w in widths from b in batches from l in losses select new AgdConfiguration(a, d, w, 0, b, l)
                : from bw in baseWidths from b in batches from l in losses select new AgdConfiguration(a, 0, 0, bw, b, l))
            .ToList();
        if (options.Optimizers.Count > 0)
            _all = [.. _all.SelectMany(c => options.Optimizers.Select(o => c with { Optimizer = o }))];
    }


    /// <summary>Up to <paramref name="count"/> distinct configurations, families taken in turn so each is represented.</summary>
    public List<AgdConfiguration> Sample(int count, Random random)
    {
        var byFamily = _all.GroupBy(c => c.Architecture).Select(g => new Queue<AgdConfiguration>(g.OrderBy(_ => random.Next()))).ToList();
        var sample = new List<AgdConfiguration>();
        while (sample.Count < count && byFamily.Any(q => q.Count > 0))
            foreach (var family in byFamily.Where(q => q.Count > 0))
                if (sample.Count < count)
                    sample.Add(family.Dequeue());
        return sample;
    }

    // Hidden layers narrower than the image lose information an FCN cannot recover, and wide ones generalise better
    // once trained: powers of two from half to twice the input size, within 128 to 2048.
    private static List<int> Widths(long inputSize)
    {
        var widths = new[] { 128, 256, 512, 1024, 2048 }.Where(w => w >= inputSize / 2 && w <= 2 * inputSize).ToList();
        return widths.Count > 0 ? widths : [inputSize < 128 ? 128 : 2048];
    }

    private static List<T> Or<T>(IList<T> given, List<T> defaults) => given.Count > 0 ? given.ToList() : defaults;
}
