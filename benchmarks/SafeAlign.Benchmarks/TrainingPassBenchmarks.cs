using BenchmarkDotNet.Attributes;
using SafeAlign.Evaluation;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Benchmarks;

/// <summary>
/// One optimizer step of the world's base-model pretraining (the recipe's 3 layers, d = 192, vocab 1,024; 64
/// Alpaca-formatted world examples, 76 tokens on average, a fifth of them response) through <see cref="Trainer"/>, with the batch taken as
/// one padded pass, as length-sorted parts (<see cref="TrainerOptions.LengthSortedSplits"/>) and with the template
/// header computed once per part (<see cref="TrainerOptions.ShareCommonPrefix"/>). All three give the same gradient;
/// the rows compare the work. The LM head runs on the response rows only in all of them (<see cref="TokenLoss"/>).
/// </summary>
public class TrainingPassBenchmarks
{
    private CausalLM _model = null!;
    private List<TokenizedExample> _batch = null!;
    private int _pad;

    /// <summary>Forward passes per batch.</summary>
    [Params(1, 4)]
    public int Splits { get; set; }

    /// <summary>Whether each pass computes its rows' shared prefix once.</summary>
    [Params(false, true)]
    public bool SharePrefix { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        SafeAlignDevice.Resolve("cpu");
        var world = SafetyWorld.Generate(new SafetyWorldOptions { Seed = 1 });
        var options = new WorldBaseModelOptions();
        var tokenizer = ByteLevelBpeTrainer.Train(WorldBaseModel.TokenizerCorpus(world), new ByteLevelBpeTrainerOptions
        {
            VocabularySize = options.VocabularySize,
            ModelMaxLength = options.MaxLength,
        }).Load();
        var random = new Random(1);
        var rows = world.Pretraining.OrderBy(_ => random.Next()).Take(options.BatchSize);
        _batch = InstructionExamples.Build(tokenizer, options.MaxLength, rows.Select(t => (t.Instruction, (string?)t.Input, t.Answer)));
        _pad = tokenizer.PadId ?? 0;
        _model = new CausalLM(new ModelConfig
        {
            VocabSize = tokenizer.VocabularySize, HiddenSize = options.Hidden, IntermediateSize = options.Intermediate,
            NumHiddenLayers = options.Layers, NumAttentionHeads = options.Heads, NumKeyValueHeads = options.Heads,
            HeadDim = options.Hidden / options.Heads, TieWordEmbeddings = true, EosTokenIds = [2],
        }.Validate(), torch.ScalarType.Float32);
        _model.InitializeWeights(1);
        Step();
    }

    /// <summary>One optimizer step on the batch (a fresh AdamW, whose set-up is under 1 % of the step).</summary>
    [Benchmark]
    public double Step() => new Trainer(new TrainerOptions
    {
        BatchSize = _batch.Count, MaxSteps = 1, MaxLength = 128, PadTokenId = _pad, Shuffle = false,
        LengthSortedSplits = Splits, ShareCommonPrefix = SharePrefix,
    }).Run(_model, _batch).Losses[0];

    [GlobalCleanup]
    public void Cleanup() => _model.Dispose();
}
