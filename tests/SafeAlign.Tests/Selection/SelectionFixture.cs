using SafeAlign.Data;
using SafeAlign.Evaluation.World;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Testing;
using SafeAlign.Tokenization;
using TorchSharp;

namespace SafeAlign.Tests.Selection;

/// <summary>
/// A small world whose alignment set has every defect kind (30 % low-quality rows, 10 % near-duplicates), a validation
/// set and harmful pairs, with a tokenizer trained on it and a tiny seeded model: what selector tests need, in seconds.
/// </summary>
internal static class SelectionFixture
{
    private static readonly Lazy<TinySafetyWorld> LazyTiny = new(() => new TinySafetyWorld(new TinySafetyWorldOptions
    {
        World = new SafetyWorldOptions
        {
            Seed = 11, PretrainingSize = 200, AlignmentSize = 96, AlignmentLowQualityShare = 0.3, AlignmentNearDuplicateShare = 0.1,
            AlignmentValidationSize = 24, AlignmentBenignSize = 8, AttackPoolSize = 8, HarmfulTestSize = 4, BenignTestSize = 4,
            TaskTrainSize = 4, TaskTestSize = 2,
            AlignmentCategorySkew = 0, // uniform categories, as the defect-ranking figures were measured (96 skewed rows leave some categories with one row)
        },
    }));

    public static SafetyWorld World() => LazyTiny.Value.World;

    public static HfTokenizer Tokenizer() => LazyTiny.Value.TokenizerFiles.Load();

    /// <summary>The world's alignment data (alignment rows, harmful pairs, validation rows; no benign or task rows).</summary>
    public static AlignmentData Data()
    {
        var all = WorldAlignment.Data(World());
        return new AlignmentData { Safety = all.Safety, Harmful = all.Harmful, Validation = all.Validation };
    }

    public static IReadOnlyList<AlignmentRowQuality> Qualities() => World().Alignment.Select(a => a.Quality).ToList();

    public static CausalLM Model(long seed = 1) => LazyTiny.Value.CreateModel(seed);

    /// <summary>Attaches a LoRA adapter and gives lora_B seeded non-zero values, so both factors have gradients.</summary>
    public static void AttachWarmAdapter(CausalLM model, long seed = 3)
    {
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [.. LoraConfig.AllProjections], Seed = seed });
        var generator = new torch.Generator((ulong)seed);
        using var noGrad = torch.no_grad();
        foreach (var (_, linear) in model.Projections())
        {
            var b = linear.LoraB?.Weight;
            b?.copy_(torch.randn(b.shape, generator: generator) * 0.05);
        }
    }
}
