using BenchmarkDotNet.Attributes;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Native;
using SafeAlign.Scoring;
using SafeAlign.Scoring.Toss;
using SafeAlign.Tokenization;
using TorchSharp;

namespace SafeAlign.Benchmarks;

/// <summary>
/// TOSS's scoring pass against one plain forward of one model over the same 64 × 128-token examples (the second half of
/// each labelled, as responses) on the small config. Scoring = θᵘ attached, a streamed no-grad pass keeping per-token
/// losses, swap to θʰ (LoRA r 16 on q/v), the second pass, S = ℓᵘ − ℓʰ and the global top-10 % mask. The target:
/// scoring throughput at least 0.45× the single forward's, i.e. the cost of the two forwards and little more.
/// </summary>
[MemoryDiagnoser]
public class TokenScoringBenchmarks
{
    private const int Examples = 64, BatchSize = 16;
    private CausalLM _model = null!;
    private List<TokenizedExample> _data = null!;
    private LoraAdapterState _utility = null!, _harmful = null!;
    private List<(torch.Tensor Ids, torch.Tensor Mask)> _batches = null!;

    /// <summary>Tokens per invocation, to turn the mean time into tokens/s.</summary>
    public static long Tokens => (long)Examples * BenchmarkModels.SequenceLength;

    [GlobalSetup]
    public void Setup()
    {
        SafeAlignDevice.Resolve("cpu");
        _model = BenchmarkModels.Create(BenchmarkModels.Small, lora: false);
        _model.eval();
        _data = BenchmarkModels.Examples(Examples, BenchmarkModels.SequenceLength, BenchmarkModels.Small.VocabSize, seed: 3)
            .Select(e => new TokenizedExample(e.InputIds, e.Labels.Select((l, i) => i < e.Length / 2 ? TokenizedExample.IgnoreIndex : l).ToArray())).ToList();
        _utility = Reference(seed: 1);
        _harmful = Reference(seed: 2);
        _batches = _data.Chunk(BatchSize).Select(chunk =>
        {
            var ids = torch.tensor(chunk.SelectMany(e => e.InputIds.Select(i => (long)i)).ToArray(), [chunk.Length, BenchmarkModels.SequenceLength]);
            return (ids.DetachFromDisposeScope(), torch.ones_like(ids).DetachFromDisposeScope());
        }).ToList();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _utility.Dispose();
        _harmful.Dispose();
    }

    /// <summary>One forward pass of the model over every example (logits computed, nothing kept).</summary>
    [Benchmark(Baseline = true)]
    public long SingleForward()
    {
        using var inference = torch.inference_mode();
        long sum = 0;
        foreach (var (ids, mask) in _batches)
        {
            using var scope = torch.NewDisposeScope();
            sum += _model.Forward(ids, mask).shape[1];
        }
        return sum;
    }

    /// <summary>TOSS's scoring pass with two reference adapters, and the global top-d mask.</summary>
    [Benchmark]
    public long TwoReferenceScoring()
    {
        var scores = TossScorer.TokenScores(_model, _utility, _harmful, _data, BatchSize, padTokenId: 0);
        return TokenRanking.GlobalTop(scores, 0.1).Sum(d => (long)d.Length);
    }

    // A rank-16 q/v adapter with non-zero factors, captured and detached.
    private LoraAdapterState Reference(long seed)
    {
        _model.AttachLora(new LoraConfig { Rank = 16, Alpha = 16, Seed = seed });
        using (torch.no_grad())
        {
            foreach (var (_, p) in _model.TrainableParameters())
                p.add_(torch.randn(p.shape, generator: new torch.Generator((ulong)seed)) * 0.01);
        }
        var state = LoraAdapterState.Capture(_model);
        _model.DetachLora();
        return state;
    }
}
