using SafeAlign.Data;
using SafeAlign.Evaluation;
using SafeAlign.Models;
using SafeAlign.Scoring;
using SafeAlign.Scoring.Toss;
using SafeAlign.Tests.Defenses;
using SafeAlign.Tokenization;
using TorchSharp;

namespace SafeAlign.Tests.Scoring;

/// <summary>The defense fixture's tiny world seen from the scoring stage: a user set of 6 harmful and 16 task samples.</summary>
internal static class ScoringFixture
{
    public const int HarmfulUserSamples = 6;

    public static HfTokenizer Tokenizer() => DefenseFixture.Tokenizer();

    public static CausalLM Model() => DefenseFixture.Model();

    public static AlignmentData Reference() => DefenseFixture.Data();

    /// <summary>Harmful prompt → compliance samples first, then SST-2 and AG News task samples, tokenised as the attack does.</summary>
    public static List<TokenizedExample> UserData() => DefenseFixture.Shared.UserData(HarmfulUserSamples);

    /// <summary>Settings small enough for tests: tiny reference sets, rank 4, one epoch of batch 8, a large rate.</summary>
    public static TossOptions Options(Action<TossOptions>? adjust = null)
    {
        var options = new TossOptions
        {
            HarmfulReferenceSamples = 16, UtilityReferenceSamples = 8, LoraRank = 4, LoraAlpha = 8, BatchSize = 8, Epochs = 1,
            LearningRate = 1e-2, ScoringBatchSize = 5, Seed = 3,
        };
        adjust?.Invoke(options);
        return options;
    }

    public static TokenRiskRequest Request(CausalLM model) => new(model, Tokenizer(), UserData(), Reference());

    /// <summary>Every parameter by name, cloned.</summary>
    public static Dictionary<string, torch.Tensor> Weights(CausalLM model) => DefenseFixture.Snapshot(model);
}
