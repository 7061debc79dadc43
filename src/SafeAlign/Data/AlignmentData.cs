
namespace SafeAlign.Data;

/// <summary>
/// What an alignment-stage defense trains on. <see cref="Safety"/> is the alignment set proper (harmful prompt →
/// refusal), the set a data selector filters; the other parts are optional companions that some recipes and methods need.
/// </summary>
public sealed class AlignmentData
{
    /// <summary>Harmful prompt → safe response (a refusal). The alignment set; must not be empty.</summary>
    public required IReadOnlyList<SafetyExample> Safety { get; init; }

    /// <summary>
    /// Benign prompt → helpful answer, trained alongside <see cref="Safety"/> so that refusing depends on what is asked,
    /// not on how it is asked (keeps over-refusal down). Optional.
    /// </summary>
    public IReadOnlyList<SafetyExample> Benign { get; init; } = [];

    /// <summary>Task examples trained alongside, to keep fine-tune accuracy. Optional.</summary>
    public IReadOnlyList<TaskExample> Utility { get; init; } = [];

    /// <summary>
    /// Harmful prompt → harmful answer. Needed by methods that simulate the attack during alignment (RepNoise pairs these
    /// with <see cref="Safety"/> by prompt, Booster, T-Vaccine's layer probe); ignored by the others.
    /// </summary>
    public IReadOnlyList<SafetyExample> Harmful { get; init; } = [];

    /// <summary>
    /// A small trusted set of harmful prompt → refusal rows, disjoint from <see cref="Safety"/>: the upper-level (validation)
    /// objective of bilevel data selection (Pharmacist, SEAL). Never trained on; optional, and empty for defenses.
    /// </summary>
    public IReadOnlyList<SafetyExample> Validation { get; init; } = [];

    /// <summary>Returns a copy with a different alignment set (e.g. the subset a selector kept); every other part is kept.</summary>
    /// <param name="safety">The new alignment set.</param>
    public AlignmentData WithSafety(IReadOnlyList<SafetyExample> safety)
    {
        ArgumentNullException.ThrowIfNull(safety);
        return new AlignmentData { Safety = safety, Benign = Benign, Utility = Utility, Harmful = Harmful, Validation = Validation };
    }

    /// <summary>Every supervised row in training order: the alignment set, then benign rows, then task rows.</summary>
    public IEnumerable<(string Instruction, string? Input, string Response)> SupervisedItems() =>
        Safety.Select(s => (s.Prompt, (string?)null, s.Response))
            .Concat(Benign.Select(b => (b.Prompt, (string?)null, b.Response)))
            .Concat(Utility.Select(t => (t.Instruction, t.Input.Length == 0 ? null : (string?)t.Input, t.Answer)));

    /// <summary>Checks that the data can be trained on; throws <see cref="ArgumentException"/> naming the problem.</summary>
    /// <returns>This instance.</returns>
    public AlignmentData Validate()
    {
        if (Safety is null || Safety.Count == 0)
            throw new ArgumentException("AlignmentData.Safety is empty; expected at least one harmful prompt → refusal row.");
        if (Benign is null || Utility is null || Harmful is null || Validation is null)
            throw new ArgumentException("AlignmentData.Benign, Utility, Harmful and Validation must not be null (use an empty list).");
        for (int i = 0; i < Safety.Count; i++)
        {
            if (Safety[i] is null)
                throw new ArgumentException($"AlignmentData.Safety[{i}] is null.");
        }
        return this;
    }
}
