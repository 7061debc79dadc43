using SafeAlign.Data;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Models.Lora;
using SafeAlign.Pruning;
using SafeAlign.Tests.Defenses;
using TorchSharp;

namespace SafeAlign.Tests.Pruning;

/// <summary>
/// The threat model's state after the attack, in miniature: a tiny model with an "alignment" adapter merged into its
/// weights and a user adapter (r 4, every projection, random non-zero B) still attached; harmful and benign rows from the
/// defense fixture's world.
/// </summary>
internal static class PruningFixture
{
    public const int UserRank = 4;

    public static CausalLM FineTunedModel(long seed = 1, bool userAdapter = true)
    {
        var model = DefenseFixture.Model(seed);
        model.AttachLora(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [.. LoraConfig.AllProjections], Seed = seed + 100 });
        RandomizeB(model, seed + 200);
        model.MergeAndDetachLora();
        if (userAdapter)
        {
            model.AttachLora(new LoraConfig { Rank = UserRank, Alpha = 8, TargetModules = [.. LoraConfig.AllProjections], Seed = seed + 300 });
            RandomizeB(model, seed + 400);
        }
        model.eval();
        return model;
    }

    public static List<SafetyExample> Harmful(int count = 10) => DefenseFixture.Data().Harmful.Take(count).ToList();

    public static List<TaskExample> Benign(int count = 10) => DefenseFixture.World().TaskTrain["sst2"].Take(count).ToList();

    public static PruningRequest Request(CausalLM model, int harmful = 10) =>
        new(model, DefenseFixture.Tokenizer(), Harmful(harmful)) { Benign = Benign() };

    /// <summary>The calibration sequences exactly as the pruner builds them (Alpaca prompt + answer + EOS).</summary>
    public static List<int[]> Sequences(IEnumerable<SafetyExample> rows, int maxLength = 2048) =>
        InstructionExamples.Build(DefenseFixture.Tokenizer(), maxLength, rows.Select(r => (r.Prompt, (string?)null, r.Response))).Select(e => e.InputIds).ToList();

    private static void RandomizeB(CausalLM model, long seed)
    {
        var generator = new torch.Generator((ulong)seed);
        using var noGrad = torch.no_grad();
        foreach (var (_, linear) in model.Projections())
        {
            if (linear.LoraB is { } b)
                b.Weight.copy_(torch.randn(b.Weight.shape, generator: generator) * 0.2);
        }
    }
}
