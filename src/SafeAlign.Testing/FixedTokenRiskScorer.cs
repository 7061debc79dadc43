using System.Diagnostics;
using SafeAlign.Scoring;
using SafeAlign.Tokenization;

namespace SafeAlign.Testing;

/// <summary>
/// An <see cref="ITokenRiskScorer"/> whose choice is fixed in advance, for tests that need token masking but not a
/// scorer's cost: discard given positions (<see cref="Positions"/>), every response token with given ids
/// (<see cref="TokenIds"/>), or, all tokens scoring alike, the first share of response tokens in data order
/// (<see cref="Constant"/>). Response tokens are those with a label (≠ −100); discarded ones score 1, kept ones 0 (1 for
/// all under <see cref="Constant"/>), other positions NaN. The result carries its <see cref="TokenMask"/>. Records every request.
/// </summary>
public sealed class FixedTokenRiskScorer : ITokenRiskScorer
{
    /// <summary>The default name.</summary>
    public const string DefaultName = "fixed-tokens";

    private readonly Func<TokenRiskRequest, float[][], int[][]> _choose;
    private readonly bool _constant;
    private readonly Recorder<TokenRiskRequest> _requests = new();

    private FixedTokenRiskScorer(string name, bool constant, Func<TokenRiskRequest, float[][], int[][]> choose)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        Name = name;
        _constant = constant;
        _choose = choose;
    }

    /// <inheritdoc />
    public string Name { get; }

    /// <summary>Every request received, in order.</summary>
    public IReadOnlyList<TokenRiskRequest> Requests => _requests.Snapshot();

    /// <summary>Discards, per sample, the given positions; each must be a response token of that sample.</summary>
    /// <param name="discarded">One list of positions per user sample (empty to keep the sample whole).</param>
    /// <param name="name">The name it reports.</param>
    public static FixedTokenRiskScorer Positions(IReadOnlyList<IReadOnlyList<int>> discarded, string name = DefaultName)
    {
        ArgumentNullException.ThrowIfNull(discarded);
        var copy = discarded.Select((d, i) => d?.ToArray() ?? throw new ArgumentException($"discarded[{i}] is null.", nameof(discarded))).ToArray();
        return new FixedTokenRiskScorer(name, constant: false, (request, _) => copy.Length == request.UserData.Count ? copy
            : throw new ArgumentException($"FixedTokenRiskScorer '{name}' holds positions for {copy.Length} samples; the request has {request.UserData.Count}.", nameof(request)));
    }

    /// <summary>Discards every response token whose id is one of <paramref name="tokenIds"/>.</summary>
    /// <param name="tokenIds">Ids to discard.</param>
    /// <param name="name">The name it reports.</param>
    public static FixedTokenRiskScorer TokenIds(IEnumerable<int> tokenIds, string name = DefaultName)
    {
        ArgumentNullException.ThrowIfNull(tokenIds);
        var ids = tokenIds.ToHashSet();
        return new FixedTokenRiskScorer(name, constant: false, (request, _) => request.UserData
            .Select(e => Enumerable.Range(0, e.Length).Where(t => e.Labels[t] != TokenizedExample.IgnoreIndex && ids.Contains(e.InputIds[t])).ToArray())
            .ToArray());
    }

    /// <summary>
    /// Gives every response token the same risk and discards ⌊<paramref name="discardFraction"/> · N⌋ of the N response
    /// tokens, ties going to the earlier sample and position (<see cref="TokenRanking.GlobalTop"/>); 0 (default) discards none.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The fraction is outside [0, 1].</exception>
    public static FixedTokenRiskScorer Constant(double discardFraction = 0, string name = DefaultName)
    {
        if (!(discardFraction >= 0 && discardFraction <= 1))
            throw new ArgumentOutOfRangeException(nameof(discardFraction), discardFraction, "The discard fraction must be in [0, 1].");
        return new FixedTokenRiskScorer(name, constant: true, (_, risk) => TokenRanking.GlobalTop(risk, discardFraction));
    }

    /// <inheritdoc />
    /// <exception cref="ArgumentException">The request is invalid, or a fixed position is not a response token of its sample.</exception>
    public Task<TokenRiskScores> ScoreAsync(TokenRiskRequest request, IProgress<string>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();
        var clock = Stopwatch.StartNew();
        var data = request.UserData;
        var risk = data.Select(e => e.Labels.Select(l => l == TokenizedExample.IgnoreIndex ? float.NaN : _constant ? 1f : 0f).ToArray()).ToArray();
        int[][] discarded = _choose(request, risk);
        var mask = TokenMask.Create(data, discarded, Name);
        if (!_constant)
        {
            for (int i = 0; i < discarded.Length; i++)
            {
                foreach (int p in discarded[i])
                    risk[i][p] = 1f;
            }
        }
        _requests.Add(request);
        progress?.Report($"{Name}: discarded {mask.DiscardedTokens} of {mask.ResponseTokens} response tokens");
        return Task.FromResult(new TokenRiskScores(Name, risk, mask.Apply(data), mask.DiscardedTokens, mask.ResponseTokens, clock.Elapsed) { Mask = mask });
    }
}
