using SafeAlign.Defenses.Vaccine;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Tests.Models;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Training;

// LengthSortedSplits and ShareCommonPrefix change how a batch is computed, never what: same losses, same weights.
public sealed class TrainerSplitTests
{
    // Copy-task rows behind one of two "template headers", of varied lengths, so that batches mix headers and lengths.
    private static List<TokenizedExample> TemplatedData(int count)
    {
        int[][] headers = [[5, 9, 11, 7], [5, 9, 40, 41, 42, 43]];
        var data = new List<TokenizedExample>();
        foreach (var (row, i) in TrainerTests.CopyTask(count, seed: 3).Select((e, i) => (e, i)))
        {
            int[] header = headers[i % 2];
            data.Add(new TokenizedExample([.. header, .. row.InputIds], [.. header.Select(_ => -100), .. row.Labels]));
        }
        return data;
    }

    private static (List<double> Losses, List<Tensor> Weights) Train(int splits, bool share, TokenLossNormalization normalization)
    {
        using var model = TinyModels.Create(seed: 12);
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0, TargetModules = [.. LoraConfig.AllProjections], Seed = 2 });
        var options = new TrainerOptions
        {
            LearningRate = 5e-3, BatchSize = 8, GradientAccumulationSteps = 2, MaxSteps = 4, Seed = 3, LogEvery = 1,
            LengthSortedSplits = splits, ShareCommonPrefix = share, LossNormalization = normalization,
        };
        var report = new Trainer(options).Run(model, TemplatedData(40));
        return ([.. report.Losses], [.. model.TrainableParameters().Select(p => p.Parameter.detach().clone())]);
    }

    [Theory]
    [InlineData(3, false, TokenLossNormalization.TokenMean)]
    [InlineData(3, true, TokenLossNormalization.TokenMean)]
    [InlineData(1, true, TokenLossNormalization.TokenMean)]
    [InlineData(4, true, TokenLossNormalization.SampleMean)]
    public void Run_SplitOrSharedBatches_GiveTheOnePassLossesAndWeights(int splits, bool share, TokenLossNormalization normalization)
    {
        var (plainLosses, plainWeights) = Train(1, false, normalization);
        var (losses, weights) = Train(splits, share, normalization);

        Assert.Equal(plainLosses.Count, losses.Count);
        for (int i = 0; i < losses.Count; i++)
            Assert.True(Math.Abs(plainLosses[i] - losses[i]) < 1e-5, $"step {i}: loss {losses[i]:R} vs one pass {plainLosses[i]:R}");
        for (int i = 0; i < weights.Count; i++)
            Assert.True(weights[i].allclose(plainWeights[i], rtol: 1e-4, atol: 1e-6), $"parameter {i} differs by {(weights[i] - plainWeights[i]).abs().max().item<float>():E2}");
        Assert.NotEqual(0.0, (plainWeights[^1]).abs().sum().item<float>()); // lora_B moved off zero: the runs trained
    }

    [Fact]
    public void Run_AStepThatIsNotSeparable_TakesEachMicroBatchInOnePass()
    {
        // Vaccine's ε is normalised over the whole batch, so splitting would change it: the trainer must not split.
        List<float> Run(int splits, bool share)
        {
            using var model = TinyModels.Create(seed: 12);
            model.AttachLora(new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj"], Seed = 2 });
            var trainer = new Trainer(new TrainerOptions { BatchSize = 8, MaxSteps = 3, Seed = 1, LengthSortedSplits = splits, ShareCommonPrefix = share });
            trainer.Run(model, TemplatedData(24), new VaccineStep(2));
            return [.. model.TrainableParameters().SelectMany(p => p.Parameter.detach().data<float>().ToArray())];
        }

        Assert.False(((ITrainingStep)new VaccineStep(2)).Separable);
        Assert.True(((ITrainingStep)SupervisedStep.Instance).Separable);
        Assert.Equal(Run(1, false), Run(4, true)); // bitwise: the same single pass
    }

    [Fact]
    public void LeastPaddedRuns_CutsShortRowsFromLongOnes()
    {
        // Six rows of 3 tokens and two of 10 in two passes: equal halves compute 4·3 + 4·10 = 52 positions, 6 + 2 compute 38.
        var rows = new[] { 3, 3, 3, 3, 3, 3, 10, 10 }.Select((n, i) => Row([.. Enumerable.Range(20 + i, n)])).ToList();
        var runs = Trainer.LeastPaddedRuns(rows, [.. Enumerable.Range(0, 8)], 2, sharePrefix: false, maxLength: null);
        Assert.Equal([6, 2], runs.Select(r => r.Length));
    }

    [Fact]
    public void LeastPaddedRuns_ComputeTheFewestPositionsOfAnyCut()
    {
        // Every way to cut small random batches (two headers, varied lengths, some truncated) into k runs, each pass's
        // positions counted from the batch Collate builds: rows × (width − shared prefix) + shared prefix.
        var random = new Random(5);
        using var scope = NewDisposeScope();
        long Positions(IEnumerable<TokenizedExample> pass)
        {
            var batch = TrainingBatch.Collate(pass.ToList(), 0, CPU, maxLength: 12, sharePrefix: true);
            return batch.InputIds.shape[0] * (batch.InputIds.shape[1] - batch.SharedPrefixLength) + batch.SharedPrefixLength;
        }
        IEnumerable<int[]> Cuts(int n, int k, int from = 1) => k == 1
            ? [[]]
            : Enumerable.Range(from, n - from).SelectMany(c => Cuts(n, k - 1, c + 1).Select(rest => (int[])[c, .. rest]));
        for (int trial = 0; trial < 40; trial++)
        {
            int n = random.Next(2, 9), k = random.Next(1, Math.Min(n, 4) + 1);
            var rows = Enumerable.Range(0, n).Select(_ => Row([.. random.Next(2) == 0 ? new[] { 5, 9, 11 } : [5, 8], .. Enumerable.Range(0, random.Next(1, 13)).Select(_ => random.Next(20, 23))])).ToList();
            int[] order = [.. Enumerable.Range(0, n).OrderBy(i => rows[i].InputIds[1]).ThenBy(i => rows[i].Length)];

            var runs = Trainer.LeastPaddedRuns(rows, order, k, sharePrefix: true, maxLength: 12);

            Assert.Equal(k, runs.Count);
            Assert.Equal(order, runs.SelectMany(r => r));
            long fewest = Cuts(n, k).Min(cuts => cuts.Prepend(0).Zip(cuts.Append(n)).Sum(c => Positions(order[c.First..c.Second].Select(i => rows[i]))));
            Assert.Equal(fewest, runs.Sum(r => Positions(r.Select(i => rows[i]))));
        }
    }

    private static TokenizedExample Row(params int[] ids) => new(ids, [.. ids.Select(_ => -100)]);

    [Fact]
    public void Options_ZeroSplits_Throws()
    {
        var ex = Assert.Throws<ArgumentException>(() => new TrainerOptions { LengthSortedSplits = 0 }.Validate());
        Assert.Contains("LengthSortedSplits is 0", ex.Message);
    }

    [Fact]
    public void Collate_SharePrefix_FindsTheCommonIdsAndStopsShortOfTheShortestRow()
    {
        using var scope = NewDisposeScope();

        var batch = TrainingBatch.Collate([Row(5, 9, 11, 7, 30, 12), Row(5, 9, 11, 7, 31), Row(5, 9, 11, 7, 30, 40, 41)], 0, CPU, sharePrefix: true);
        Assert.Equal(4, batch.SharedPrefixLength);
        var nested = TrainingBatch.Collate([Row(5, 9, 11, 7), Row(5, 9, 11, 7, 30, 40)], 0, CPU, sharePrefix: true);
        Assert.Equal(3, nested.SharedPrefixLength);          // the shorter row keeps its last token to itself
        Assert.Equal(0, TrainingBatch.Collate([Row(5, 9, 11)], 0, CPU, sharePrefix: true).SharedPrefixLength);
        Assert.Equal(0, TrainingBatch.Collate([Row(5, 1, 11), Row(5, 2, 11)], 0, CPU, sharePrefix: true).SharedPrefixLength);
        Assert.Equal(0, TrainingBatch.Collate([Row(5, 9, 11, 7, 30), Row(5, 9, 11, 7, 31)], 0, CPU).SharedPrefixLength);
    }
}
