using SafeAlign.Data;
using SafeAlign.Defenses;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Testing;
using SafeAlign.Tokenization;
using TorchSharp;

namespace SafeAlign.Tests.Defenses;

/// <summary>
/// A tiny model, the tiny tokenizer and a small slice of the world's alignment data, for defense tests: a
/// <see cref="TinySafetyWorld"/> (the SafeAlign.Testing package users get) over world seed 5.
/// </summary>
internal static class DefenseFixture
{
    private static readonly SafetyWorldOptions WorldOptions = new()
    {
        Seed = 5, PretrainingSize = 200, AlignmentSize = 64, AlignmentBenignSize = 16, AttackPoolSize = 16,
        HarmfulTestSize = 8, BenignTestSize = 8, TaskTrainSize = 8, TaskTestSize = 4,
    };

    private static readonly Lazy<TinySafetyWorld> LazyTiny = new(() => Tiny(layers: 2));

    /// <summary>The fixture world (attack and task pools for fine-tuning-stage tests).</summary>
    public static SafetyWorld World() => LazyTiny.Value.World;

    /// <summary>A byte-level BPE trained on the fixture world's text, so its prompts are a few dozen tokens long.</summary>
    public static HfTokenizer Tokenizer() => LazyTiny.Value.TokenizerFiles.Load();

    /// <summary>The tokenizer's Hugging Face files (to write a model folder).</summary>
    public static TrainedTokenizerFiles TokenizerFiles() => LazyTiny.Value.TokenizerFiles;

    /// <summary>A seeded 32-wide Llama-architecture model over the fixture tokenizer, in eval mode; the caller disposes it.</summary>
    public static CausalLM Model(long seed = 1, int layers = 2)
    {
        if (layers == 2)
            return LazyTiny.Value.CreateModel(seed);
        using var tiny = Tiny(layers);
        return tiny.CreateModel(seed);
    }

    /// <summary>The shared tiny world behind the fixture (2-layer recipe).</summary>
    public static TinySafetyWorld Shared => LazyTiny.Value;

    // The fixture world with a layers-deep model recipe (the world and tokenizer are shared by every instance).
    private static TinySafetyWorld Tiny(int layers) => new(new TinySafetyWorldOptions { World = WorldOptions, Layers = layers });

    /// <summary>64 refusal rows with their compliance pairs, 16 benign rows, 8 task rows.</summary>
    public static AlignmentData Data() => LazyTiny.Value.AlignmentData() is var all
        ? new AlignmentData
        {
            Safety = all.Safety,
            Benign = all.Benign,
            Utility = all.Utility.Take(8).ToList(),
            Harmful = all.Harmful,
        }
        : throw new InvalidOperationException();

    /// <summary>Tensors still alive on this thread after <paramref name="step"/> ran inside its own dispose scope (0 = no leak).</summary>
    // Tensor statistics are per thread, so the step runs on a compute thread, as the library runs its steps (nested
    // library work then stays on that thread and is counted too).
    public static long LiveTensorsAfter(Action step) => ComputeThread.Run(() =>
    {
        DisposeScopeManager.Statistics.Reset();
        using (torch.NewDisposeScope())
            step();
        return DisposeScopeManager.Statistics.ThreadTotalLiveCount;
    });

    public static Dictionary<string, torch.Tensor> Snapshot(CausalLM model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());
}
