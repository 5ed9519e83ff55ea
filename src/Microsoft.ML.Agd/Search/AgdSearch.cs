using System.Diagnostics;
using Microsoft.ML.Agd.Data;
using Microsoft.ML.Agd.Search;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd;

/// <summary>
/// Finds a good architecture size and batch size within a time budget. The first part of the budget goes to successive
/// halving: many short AGD runs, then the better half again with twice the epochs, until one remains; the rest trains
/// the best configuration for as many epochs as fit. With AGD every trial is a single run; with Adam or SGD each would
/// need a learning-rate grid.
/// </summary>
public sealed class AgdSearch
{
    private readonly AgdSearchOptions _options;

    /// <summary>Creates the search.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public AgdSearch(AgdSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Budget <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options), options.Budget, "The Budget must be positive.");
        Check.Positive(options.InitialTrials, nameof(options.InitialTrials));
        Check.Positive(options.InitialEpochs, nameof(options.InitialEpochs));
        Check.Positive(options.MaxEpochs, nameof(options.MaxEpochs));
        if (options.ExplorationShare is <= 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.ExplorationShare, "The ExplorationShare must be in (0, 1].");
        if (options.ValidationFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.ValidationFraction, "The ValidationFraction must be between 0 and 1.");
        _options = options;
    }

    /// <summary>Runs the search on <paramref name="trainData"/>, judging trials on <paramref name="validationData"/> (else a held-out share).</summary>
    /// <exception cref="InvalidOperationException">No trial finished within the budget; the message lists why.</exception>
    public AgdSearchResult Fit(IDataView trainData, IDataView? validationData = null)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var clock = Stopwatch.StartNew();
        var ml = new MLContext(_options.Seed);
        var columns = new InputColumns(_options.FeatureColumnName, _options.LabelColumnName);
        columns.CheckLabel(trainData.Schema);
        columns.CheckFeatures(trainData.Schema, _options.ImageShape, needsImageShape: false);
        if (validationData is null)
        {
            var split = ml.Data.TrainTestSplit(trainData, _options.ValidationFraction, seed: _options.Seed);
            (trainData, validationData) = (ml.Data.Cache(split.TrainSet), ml.Data.Cache(split.TestSet));
        }
        bool shapeKnown = _options.ImageShape is not null || trainData.Schema[columns.Features].Type is VectorDataViewType { Dimensions.Length: 3 };
        var space = new ConfigurationSpace(_options, shapeKnown, Rows(trainData));
        var run = new Run(this, trainData, validationData, clock);
        var exploration = _options.Budget * _options.ExplorationShare;
        var alive = space.Sample(_options.InitialTrials, new Random(_options.Seed));
        int rung = 0;
        for (int epochs = _options.InitialEpochs; alive.Count > 0 && !run.OutOfTime(exploration); rung++, epochs = Math.Min(2 * epochs, _options.MaxEpochs))
        {
            var finished = alive.Select(c => run.Trial(c, rung, epochs, exploration)).Where(t => t?.ValidationAccuracy is not null).ToList();
            if (alive.Count == 1 || finished.Count <= 1)
                break;
            alive = finished.OrderByDescending(t => t!.ValidationAccuracy).Take((finished.Count + 1) / 2).Select(t => t!.Configuration).ToList();
        }
        run.TrainBestLonger(rung + 1);
        return run.Result();
    }

    private static long Rows(IDataView data)
    {
        if (data.GetRowCount() is { } known)
            return known;
        long rows = 0;
        using var cursor = data.GetRowCursor([]);
        while (cursor.MoveNext())
            rows++;
        return rows;
    }

    /// <summary>One search's progress: the trials so far, the best model, and the clock.</summary>
    private sealed class Run(AgdSearch search, IDataView train, IDataView validation, Stopwatch clock)
    {
        private readonly List<AgdTrial> _trials = [];
        private AgdImageClassificationTransformer? _best;

        private AgdSearchOptions Options => search._options;
        private TimeSpan Until(TimeSpan deadline) => deadline - clock.Elapsed;
        public bool OutOfTime(TimeSpan deadline) => Until(deadline) <= TimeSpan.Zero || Options.CancellationToken.IsCancellationRequested;

        /// <summary>
        /// The final part of the budget: the best configuration again, from scratch, for up to MaxEpochs epochs; the
        /// deadline stops it, keeping every epoch that finished.
        /// </summary>
        public void TrainBestLonger(int rung)
        {
            var best = _trials.Where(t => t.ValidationAccuracy is not null).MaxBy(t => t.ValidationAccuracy);
            if (best is not null && best.Epochs < Options.MaxEpochs)
                Trial(best.Configuration, rung, Options.MaxEpochs, Options.Budget, runToDeadline: true);
        }

        /// <summary>
        /// Trains one configuration, stopping it at the deadline; a failure is recorded, never thrown. A configuration whose
        /// measured pace would overrun the deadline is not started, unless it is meant to run until the deadline.
        /// </summary>
        public AgdTrial? Trial(AgdConfiguration configuration, int rung, int epochs, TimeSpan deadline, bool runToDeadline = false)
        {
            if (OutOfTime(deadline) || (!runToDeadline && PredictedSeconds(configuration, epochs) > Until(deadline).TotalSeconds))
                return null;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Options.CancellationToken);
            // Stop training a little early: building the stopped trial's model takes a moment too.
            stop.CancelAfter(Until(deadline) * 0.95);
            var started = clock.Elapsed;
            AgdTrial trial;
            try
            {
                var model = Trainer(configuration, epochs, stop.Token).Fit(train, validation);
                var history = model.Model.History;
                trial = history.Count == 0
                    ? Record(configuration, rung, 0, null, started, "stopped by the time budget before its first epoch ended")
                    : Record(configuration, rung, history.Count, history[^1].ValidationAccuracy, started, null);
                Keep(model, trial);
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or OutOfMemoryException or System.Runtime.InteropServices.ExternalException)
            {
                trial = Record(configuration, rung, 0, null, started, e.Message);
            }
            Options.Progress?.Report(trial);
            return trial;
        }

        public AgdSearchResult Result()
        {
            if (_best is null)
                throw new InvalidOperationException($"No trial finished an epoch within the budget of {Options.Budget}. " +
                    (_trials.Count == 0 ? "Give the search more time." : "Trials: " + string.Join("; ", _trials.Select(t => t.ToString()))));
            return new AgdSearchResult(_best, _trials, clock.Elapsed);
        }

        private AgdImageClassificationTrainer Trainer(AgdConfiguration c, int epochs, CancellationToken token) => new(new AgdImageClassificationTrainer.Options
        {
            LabelColumnName = Options.LabelColumnName, FeatureColumnName = Options.FeatureColumnName, ImageShape = Options.ImageShape,
            Architecture = c.Architecture, Depth = Math.Max(1, c.Depth), Width = Math.Max(1, c.Width), BaseWidth = Math.Max(1, c.BaseWidth),
            BatchSize = c.BatchSize, NumberOfEpochs = epochs, Loss = Options.Loss, Seed = Options.Seed, CancellationToken = token,
        });

        // The best by validation accuracy is kept; the others' networks are released at once.
        private void Keep(AgdImageClassificationTransformer model, AgdTrial trial)
        {
            var bestTrial = _trials.Where(t => t.ValidationAccuracy is not null && t != trial).MaxBy(t => t.ValidationAccuracy);
            if (trial.ValidationAccuracy is { } accuracy && (_best is null || accuracy > bestTrial?.ValidationAccuracy))
            {
                _best?.Model.Network.Dispose();
                _best = model;
            }
            else
                model.Model.Network.Dispose();
        }

        // A configuration seen before takes its seconds per epoch again; an unseen one is not predicted (the budget still stops it).
        private double PredictedSeconds(AgdConfiguration configuration, int epochs)
            => _trials.LastOrDefault(t => t.Configuration == configuration && t.Epochs > 0) is { } seen ? seen.Seconds / seen.Epochs * epochs : 0;

        private AgdTrial Record(AgdConfiguration configuration, int rung, int epochs, double? accuracy, TimeSpan started, string? error)
        {
            var trial = new AgdTrial(_trials.Count + 1, configuration, rung, epochs, accuracy, (clock.Elapsed - started).TotalSeconds, clock.Elapsed.TotalSeconds, error);
            _trials.Add(trial);
            return trial;
        }
    }
}
