using System.Diagnostics;
using SafeAlign.Tokenization;
using static TorchSharp.torch;

namespace SafeAlign.Scoring;

/// <summary>
/// The token-level random baseline: every response token gets a uniform random risk from a seeded generator and the
/// global top d are discarded, i.e. exactly ⌊d · N⌋ tokens drawn uniformly from the whole data set. A token-level
/// method must beat it at the same d to show that its ranking, not the dropping, helps.
/// </summary>
public sealed class RandomTokenScorer : ITokenRiskScorer
{
    /// <summary>The name the random token baseline is registered under.</summary>
    public const string ScorerName = "random-tokens";

    private readonly RandomTokenScorerOptions _options;

    /// <summary>Creates the scorer.</summary>
    /// <param name="options">Settings; defaults when null.</param>
    public RandomTokenScorer(RandomTokenScorerOptions? options = null) => _options = (options ?? new RandomTokenScorerOptions()).Validate();

    /// <inheritdoc />
    public string Name => ScorerName;

    /// <inheritdoc />
    public Task<TokenRiskScores> ScoreAsync(TokenRiskRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        var data = request.UserData;
        float[][] risk;
        using (NewDisposeScope())
        {
            var response = tensor(data.SelectMany(e => e.Labels.Select((l, t) => t > 0 && l != TokenizedExample.IgnoreIndex)).ToArray()); // (ΣL) scored positions
            var draw = rand(response.shape[0], generator: new TorchSharp.torch.Generator((ulong)_options.Seed));                    // (ΣL)
            float[] flat = draw.masked_fill(response.logical_not(), float.NaN).data<float>().ToArray();
            risk = new float[data.Count][];
            for (int i = 0, offset = 0; i < data.Count; offset += data[i].Length, i++)
                risk[i] = flat.AsSpan(offset, data[i].Length).ToArray();
        }
        var mask = TokenMask.Create(data, TokenRanking.GlobalTop(risk, _options.DiscardRatio), Name);
        progress?.Report($"{Name}: discarded {mask.DiscardedTokens} of {mask.ResponseTokens} response tokens");
        return Task.FromResult(new TokenRiskScores(Name, risk, mask.Apply(data), mask.DiscardedTokens, mask.ResponseTokens, clock.Elapsed) { Mask = mask });
    }
}
