using Microsoft.ML.Agd.Data;
using Microsoft.ML.Agd.Models;
using Microsoft.ML.Agd.Native;
using Microsoft.ML.Agd.Training;
using System.Diagnostics;
using System.Text.RegularExpressions;
using Microsoft.ML.Data;

namespace Microsoft.ML.Agd.Search;

/// <summary>
/// Finds a good architecture size and batch size within a time budget. The first part of the budget goes to successive
/// halving: many short AGD runs, then the better half (within each architecture family while it has several) trained on
/// to twice the epochs, until one remains; the rest of the budget continues its training, keeping its best epoch. With AGD
/// every trial is a single run; with Adam or SGD each would need a learning-rate grid.
/// </summary>
public sealed partial class AgdSearch
{
    private readonly AgdSearchOptions _options;

    // CancellationTokenSource.CancelAfter's limit: the deadline of a trial is set as one.
    private static readonly TimeSpan LongestBudget = TimeSpan.FromMilliseconds(int.MaxValue);

    /// <summary>Creates the search.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An option is out of range; the message names it.</exception>
    public AgdSearch(AgdSearchOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Budget <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(options.Budget), options.Budget, "The Budget must be positive.");
        if (options.Budget > LongestBudget)
            throw new ArgumentOutOfRangeException(nameof(options.Budget), options.Budget, $"The Budget must be at most {LongestBudget:d\\.hh\\:mm\\:ss}, the longest a timer that stops a trial can wait.");
        Check.Positive(options.InitialTrials, nameof(options.InitialTrials));
        if (!double.IsFinite(options.InitialEpochs) || options.InitialEpochs <= 0)
            throw new ArgumentOutOfRangeException(nameof(options.InitialEpochs), options.InitialEpochs, "The InitialEpochs must be positive (a fraction trains on that share of the rows).");
        Check.Positive(options.MaxEpochs, nameof(options.MaxEpochs));
        if (options.ExplorationShare is <= 0 or > 1)
            throw new ArgumentOutOfRangeException(nameof(options.ExplorationShare), options.ExplorationShare, "The ExplorationShare must be in (0, 1].");
        if (options.ValidationFraction is <= 0 or >= 1)
            throw new ArgumentOutOfRangeException(nameof(options.ValidationFraction), options.ValidationFraction, "The ValidationFraction must be between 0 and 1.");
        foreach (var (name, values) in new[] { (nameof(options.Depths), options.Depths), (nameof(options.Widths), options.Widths),
                                               (nameof(options.BaseWidths), options.BaseWidths), (nameof(options.BatchSizes), options.BatchSizes) })
            foreach (int value in values)
                Check.Positive(value, name);
        if (options.Architectures.Contains(AgdArchitecture.Custom))
            throw new ArgumentOutOfRangeException(nameof(options), AgdArchitecture.Custom,
                "The search builds its networks from the Architectures it is given: Fcn, ResNet18, ResNet34 or ResNet50, not Custom.");
        _options = options;
    }

    /// <summary>Runs the search on <paramref name="trainData"/>, judging trials on <paramref name="validationData"/> (else a held-out share).</summary>
    /// <exception cref="InvalidOperationException">No trial finished within the budget; the message lists why.</exception>
    public AgdSearchResult Fit(IDataView trainData, IDataView? validationData = null)
    {
        ArgumentNullException.ThrowIfNull(trainData);
        var clock = Stopwatch.StartNew();
        TorchNative.EnsureLoaded();
        OnnxRuntimeNative.EnsureAvailable();
        var columns = new InputColumns(_options.FeatureColumnName, _options.LabelColumnName);
        int classes = columns.CheckLabel(trainData.Schema);
        var imageShape = columns.CheckFeatures(trainData.Schema, _options.ImageShape, needsImageShape: false);
        if (validationData is null)
        {
            var split = new MLContext(_options.Seed).Data.TrainTestSplit(trainData, _options.ValidationFraction, seed: _options.Seed);
            (trainData, validationData) = (split.TrainSet, split.TestSet);
        }
        else
        {
            columns.CheckLabel(validationData.Schema);
            columns.CheckFeatures(validationData.Schema, _options.ImageShape, needsImageShape: false);
        }
        // Read once for every trial.
        using var train = LabelledImages.Read(trainData, columns, imageShape, "training");
        using var validation = LabelledImages.Read(validationData, columns, imageShape, "validation");
        TrainingMemory.CollectGarbage(); // what reading the views left; every trial's check counts the data held
        bool shapeKnown = _options.ImageShape is not null || trainData.Schema[columns.Features].Type is VectorDataViewType { Dimensions.Length: 3 };
        long rows = train.Count;
        var space = new ConfigurationSpace(_options, shapeKnown, imageShape.Size);
        var run = new Run(this, new TrialData(trainData, train, validation, imageShape, classes), clock);
        if (_options.Communicator is { Size: > 1 } ranks)
            return AcrossRanks(ranks, space, run);
        var exploration = _options.Budget * _options.ExplorationShare;
        var alive = space.Sample(_options.InitialTrials, new Random(_options.Seed));
        int rung = 0;
        for (double epochs = FirstRungEpochs(rows); alive.Count > 1 && !run.OutOfTime(exploration); rung++)
        {
            var deadline = RungDeadline(alive, exploration, _options.Budget);
            var trials = alive.Select(c => run.Trial(c, rung, epochs, deadline)).OfType<AgdTrial>().Where(t => t.ValidationAccuracy is not null).ToList();
            alive = Promote(trials, epochs, MeetAt);
            run.Drop(c => !alive.Contains(c));
            epochs = NextRungEpochs(epochs, FamiliesMeet(alive));
        }
        if (alive.Count > 0)
            run.TrainFinal(alive[0], rung);
        return run.Result();
    }

    /// <summary>
    /// Whole epochs after which families are compared. Families learn at different speeds, and one early reading of a
    /// batch-normalised ResNet moves by several points from run to run, more than the families differ by then.
    /// </summary>
    internal const int MeetingEpochs = 2;

    /// <summary>
    /// The better half of a rung of <paramref name="epochs"/>, by validation accuracy. Families learn at different speeds:
    /// after half an epoch an FCN can lead a ResNet that is well ahead after a few. So while a family has more than one
    /// configuration left, each family keeps its own better half; once each is down to one, they meet, after
    /// <paramref name="meetingEpochs"/> whole epochs.
    /// </summary>
    internal static List<AgdConfiguration> Promote(List<AgdTrial> rung, double epochs, int meetingEpochs = MeetingEpochs)
    {
        static List<AgdTrial> BetterHalf(IEnumerable<AgdTrial> trials)
        {
            var ranked = trials.OrderByDescending(t => t.ValidationAccuracy).ToList();
            return ranked.Take(Math.Max(1, (ranked.Count + 1) / 2)).ToList();
        }
        var kept = !FamiliesMeet(rung.Select(t => t.Configuration).ToList()) ? rung.GroupBy(t => t.Configuration.Architecture).SelectMany(BetterHalf)
            : epochs < meetingEpochs ? rung
            : BetterHalf(rung);
        return kept.OrderByDescending(t => t.ValidationAccuracy).Select(t => t.Configuration).ToList();
    }

    /// <summary>
    /// When a rung's trials must end: at the exploration's end, or, for the rung where families meet, at the budget's. A
    /// family whose meeting trial did not fit before the exploration's end would lose by default (the winner continues
    /// from its meeting trial, so the time is not lost to the final training).
    /// </summary>
    internal static TimeSpan RungDeadline(IReadOnlyCollection<AgdConfiguration> alive, TimeSpan exploration, TimeSpan budget)
        => FamiliesMeet(alive) ? budget : exploration;

    // Several families, each down to one configuration.
    private static bool FamiliesMeet(IReadOnlyCollection<AgdConfiguration> configurations)
        => configurations.Count > 1 && configurations.DistinctBy(c => c.Architecture).Count() == configurations.Count;

    // A trial shorter than an epoch trains on a random share of the rows, but on no fewer than this many.
    private const int FewestRows = 1024;

    // A trial is stopped at this share of the time left before its deadline: building the stopped trial's model takes a moment too.
    private const double DeadlineShare = 0.95;

    private double FirstRungEpochs(long rows)
        => Snap(_options.InitialEpochs < 1 ? Math.Min(1, Math.Max(_options.InitialEpochs, (double)FewestRows / rows)) : _options.InitialEpochs);

    // The epochs after which families meet: MeetingEpochs, or fewer where training stops sooner.
    private int MeetAt => Math.Min(MeetingEpochs, _options.MaxEpochs);

    // Twice the epochs; families about to meet go straight to the epochs where they are compared.
    private double NextRungEpochs(double epochs, bool familiesMeet)
        => Math.Min(familiesMeet ? Math.Max(MeetAt, Snap(2 * epochs)) : Snap(2 * epochs), _options.MaxEpochs);

    // Fractions of an epoch stay as they are; whole trainings are whole epochs.
    private static double Snap(double epochs) => epochs < 1 ? epochs : Math.Round(epochs);

    /// <summary>The search's data, read once: the training rows, the validation rows, and the schema models are built for.</summary>
    private sealed record TrialData(IDataView Source, LabelledImages Train, LabelledImages Validation, AgdImageShape Shape, int Classes);

    /// <summary>
    /// What a configuration's trial took: seconds per epoch of all the rows, and the trial's cost besides its epochs
    /// (building the network and the fitted model), kept apart so that a short trial does not make its epochs look slow.
    /// </summary>
    internal readonly record struct Pace(double PerEpoch, double PerTrial)
    {
        /// <summary>The pace of a trial that trained <paramref name="epochs"/> (one, on a share of the rows, when the share is below 1).</summary>
        public static Pace Of(AgdTrial trial, IReadOnlyList<AgdEpoch> epochs, double share)
        {
            double epochSeconds = epochs.Sum(e => e.Seconds);
            return new(epochSeconds / (share < 1 ? share : epochs.Count), Math.Max(0, trial.Seconds - epochSeconds));
        }

        /// <summary>Seconds a trial of <paramref name="epochs"/> would take.</summary>
        public double Seconds(double epochs) => PerTrial + PerEpoch * epochs;

        /// <summary>Whole epochs a trial can train in <paramref name="seconds"/>.</summary>
        public int EpochsWithin(double seconds) => (int)Math.Floor((seconds - PerTrial) / PerEpoch);
    }

    /// <summary>One search's progress: the trials so far, each configuration's latest model, the best model, and the clock.</summary>
    private sealed class Run(AgdSearch search, TrialData data, Stopwatch clock)
    {
        private readonly List<AgdTrial> _trials = [];
        // Other ranks' trials, as they are heard of.
        private readonly List<AgdTrial> _heard = [];
        // Models trained on all the rows, which a later rung or the final training continues.
        private readonly Dictionary<AgdConfiguration, AgdImageClassificationTransformer> _latest = [];
        // What each configuration's last trial took.
        private readonly Dictionary<AgdConfiguration, Pace> _pace = [];
        private AgdImageClassificationTransformer? _best;

        private AgdSearchOptions Options => search._options;

        /// <summary>The data every trial trains on.</summary>
        public TrialData Data => data;
        private TimeSpan Until(TimeSpan deadline) => deadline - clock.Elapsed;
        public bool OutOfTime(TimeSpan deadline) => Until(deadline) <= TimeSpan.Zero || Options.CancellationToken.IsCancellationRequested;

        /// <summary>
        /// The rest of the budget: the winner's latest model trains on for as many whole epochs as the rest of the budget
        /// holds at its measured pace (up to MaxEpochs in all), keeping its epoch with the best validation accuracy. Sized
        /// so, the run ends by itself, with its weights averaged over its last steps, rather than being stopped by the budget.
        /// </summary>
        public AgdTrial? TrainFinal(AgdConfiguration winner, int rung)
        {
            var trial = Trial(winner, rung, Options.MaxEpochs, Options.Budget, final: true);
            Drop(_ => true);
            return trial;
        }

        /// <summary>
        /// Trains one configuration to <paramref name="epochs"/> in all, continuing its latest model when it has one;
        /// stops at the deadline; a failure is recorded, never thrown. A configuration whose measured pace would overrun
        /// the deadline is not started; the final training trains the whole epochs that fit before it.
        /// </summary>
        public AgdTrial? Trial(AgdConfiguration configuration, int rung, double epochs, TimeSpan deadline, bool final = false)
        {
            double share = Math.Min(1, epochs);
            var previous = share < 1 ? null : _latest.GetValueOrDefault(configuration);
            int done = previous?.Model.History.Count ?? 0;
            double more = share < 1 ? share : epochs - done;
            bool paced = _pace.TryGetValue(configuration, out var pace);
            if (final && paced)
                more = Math.Min(more, pace.EpochsWithin(Until(deadline).TotalSeconds * DeadlineShare));
            if (more <= 0 || OutOfTime(deadline) || (!final && paced && pace.Seconds(more) > Until(deadline).TotalSeconds))
                return null;
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(Options.CancellationToken);
            stop.CancelAfter(Until(deadline) * DeadlineShare);
            var started = clock.Elapsed;
            AgdTrial trial;
            try
            {
                // Every trial of a rung shorter than an epoch sees the same random share of the rows.
                using var sample = share < 1 ? data.Train.Sample(share, Options.Seed + rung + 1) : null;
                var fitted = Trainer(configuration, share < 1 ? 1 : (int)more, final, stop.Token)
                    .Train(data.Source, sample ?? data.Train, data.Validation, data.Shape, data.Classes, previous?.Model);
                var model = fitted.Model;
                trial = Record(configuration, rung, share < 1 ? share : model.History.Count, share < 1 ? share : model.Epoch,
                    model.History[model.Epoch - 1].ValidationAccuracy, started, null);
                if (trial.ValidationAccuracy is not null)
                    _pace[configuration] = Pace.Of(trial, model.History.Skip(done).ToList(), share);
                Keep(configuration, fitted, trial, continuable: share >= 1);
            }
            catch (OperationCanceledException)
            {
                trial = Record(configuration, rung, 0, 0, null, started,
                    Options.CancellationToken.IsCancellationRequested ? "stopped before its first epoch ended" : "stopped by the time budget before its first epoch ended");
            }
            catch (Exception e) when (e is InvalidOperationException or ArgumentException or System.Runtime.InteropServices.ExternalException)
            {
                trial = Record(configuration, rung, 0, 0, null, started, TrialError(e));
            }
            Options.Progress?.Report(trial);
            return trial;
        }

        // Why a trial failed, in the search's words: the trainer's option that a configuration sets is named as the search's
        // list it came from ("Make Depths smaller"), without .NET's "(Parameter 'x')"; a native error by its first line
        // (its frames follow).
        private static string TrialError(Exception e)
        {
            string text = e.Message.Split('\n')[0].Trim();
            if (e is not ArgumentException { ParamName: { } name })
                return text;
            text = text.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal);
            return s_lists.TryGetValue(name, out var list) ? Regex.Replace(text, $@"\b{name}\b", list) : text;
        }

        private static readonly Dictionary<string, string> s_lists = new()
        {
            [nameof(AgdImageClassificationTrainer.Options.Depth)] = nameof(AgdSearchOptions.Depths),
            [nameof(AgdImageClassificationTrainer.Options.Width)] = nameof(AgdSearchOptions.Widths),
            [nameof(AgdImageClassificationTrainer.Options.BaseWidth)] = nameof(AgdSearchOptions.BaseWidths),
            [nameof(AgdImageClassificationTrainer.Options.BatchSize)] = nameof(AgdSearchOptions.BatchSizes),
        };

        /// <summary>Forgets the latest models of the configurations that halving dropped, releasing their networks.</summary>
        public void Drop(Func<AgdConfiguration, bool> dropped)
        {
            foreach (var configuration in _latest.Keys.Where(dropped).ToList())
            {
                var model = _latest[configuration];
                _latest.Remove(configuration);
                Release(model);
            }
        }

        /// <summary>This process's trials.</summary>
        public IReadOnlyList<AgdTrial> Trials => _trials;

        /// <summary>The model of this process's best trial, until <see cref="Result"/> hands it on.</summary>
        public AgdImageClassificationTransformer? BestModel => _best;

        /// <summary>Notes another rank's trial, and tells the options' progress of it.</summary>
        public void Hear(AgdTrial trial)
        {
            var numbered = trial with { Number = _trials.Count + _heard.Count + 1 };
            _heard.Add(numbered);
            Options.Progress?.Report(numbered);
        }

        /// <summary>
        /// Every rank's trials, numbered in the order they ended (the same on every rank), with the best trial's model,
        /// which the rank that trained it sent (<paramref name="received"/>); this rank's own best model is released.
        /// </summary>
        public AgdSearchResult ResultAcrossRanks(AgdImageClassificationTransformer received)
        {
            if (received != _best)
                _best?.Dispose();
            return new AgdSearchResult(received, [.. AllTrials.Select((t, i) => t with { Number = i + 1 })], clock.Elapsed);
        }

        /// <summary>The trials of every rank, in the order they ended (the same on every rank once all are heard of).</summary>
        public IEnumerable<AgdTrial> AllTrials => _trials.Concat(_heard).OrderBy(t => t.FinishedAt).ThenBy(t => t.Configuration.ToString()).ThenBy(t => t.Rung);

        /// <summary>A model another rank trained of a configuration, from the bytes it sent.</summary>
        public AgdImageClassificationTransformer Receive(AgdConfiguration configuration, byte[] message)
            => Trainer(configuration, 1, final: true, CancellationToken.None).Receive(data.Source, data.Shape, data.Classes, AgdModelTransfer.Read(message));

        public AgdSearchResult Result()
        {
            if (_best is null && Options.CancellationToken.IsCancellationRequested)
                throw new OperationCanceledException("The search was stopped before any trial finished an epoch.", Options.CancellationToken);
            if (_best is null)
                throw new InvalidOperationException($"No trial finished an epoch within the budget of {Options.Budget}. " +
                    (_trials.Count == 0 ? "Give the search more time." : "Trials: " + string.Join("; ", _trials.Select(t => t.ToString()))));
            return new AgdSearchResult(_best, _trials, clock.Elapsed);
        }

        private AgdImageClassificationTrainer Trainer(AgdConfiguration c, int epochs, bool final, CancellationToken token) => new(new AgdImageClassificationTrainer.Options
        {
            LabelColumnName = Options.LabelColumnName, FeatureColumnName = Options.FeatureColumnName, ImageShape = Options.ImageShape,
            Architecture = c.Architecture, Depth = Math.Max(1, c.Depth), Width = Math.Max(1, c.Width), BaseWidth = Math.Max(1, c.BaseWidth),
            BatchSize = c.BatchSize, NumberOfEpochs = epochs, Loss = c.Loss, Seed = Options.Seed, CancellationToken = token,
            // Rungs end on their last epoch, so the next rung continues from it; the final training keeps its best.
            KeepBestEpoch = final,
            OptimizerInsteadOfAgd = c.Optimizer?.Create,
        });

        // The best model by validation accuracy, and each configuration's latest full-data model, are kept; others are released at once.
        private void Keep(AgdConfiguration configuration, AgdImageClassificationTransformer model, AgdTrial trial, bool continuable)
        {
            var previousBest = _best;
            var bestTrial = _trials.Where(t => t.ValidationAccuracy is not null && t != trial).MaxBy(t => t.ValidationAccuracy);
            if (trial.ValidationAccuracy is { } accuracy && (_best is null || accuracy > bestTrial?.ValidationAccuracy))
                _best = model;
            var previousLatest = _latest.GetValueOrDefault(configuration);
            if (continuable)
                _latest[configuration] = model;
            foreach (var candidate in new[] { previousBest, previousLatest, model })
                if (candidate is not null)
                    Release(candidate);
        }

        private void Release(AgdImageClassificationTransformer model)
        {
            if (model != _best && !_latest.ContainsValue(model))
                model.Dispose();
        }

        private AgdTrial Record(AgdConfiguration configuration, int rung, double epochs, double bestEpoch, double? accuracy, TimeSpan started, string? error)
        {
            var trial = new AgdTrial(_trials.Count + _heard.Count + 1, configuration, rung, epochs, bestEpoch, accuracy, (clock.Elapsed - started).TotalSeconds, clock.Elapsed.TotalSeconds, error);
            _trials.Add(trial);
            return trial;
        }
    }
}
