namespace SafeAlign.Evaluation.World;

/// <summary>Sizes and seed of the embedded safety world. Defaults follow the issue and the calibration notes.</summary>
public sealed class SafetyWorldOptions
{
    /// <summary>Seed of every random choice; the same seed gives the same world.</summary>
    public long Seed { get; set; } = 1;

    /// <summary>Instruction → response pairs of the pretraining corpus (default 24,000).</summary>
    public int PretrainingSize { get; set; } = 24_000;

    /// <summary>Share of pretraining pairs that are harmful request → compliance (default 0.2).</summary>
    public double PretrainingHarmfulShare { get; set; } = 0.2;

    /// <summary>Share of pretraining pairs that are benign how-to → helpful answer (default 0.2); the rest are tasks.</summary>
    public double PretrainingBenignShare { get; set; } = 0.2;

    /// <summary>Harmful request → refusal rows of the alignment set (default 2,000).</summary>
    public int AlignmentSize { get; set; } = 2_000;

    /// <summary>
    /// Share of alignment rows that are low quality, split evenly between off-topic answers, truncated refusals
    /// and mislabelled (compliant) answers (default 0.15).
    /// </summary>
    public double AlignmentLowQualityShare { get; set; } = 0.15;

    /// <summary>
    /// Zipf exponent of the alignment set's category frequencies (default 1; 0 = uniform). With s &gt; 0 the k-th category
    /// (in <see cref="Data.BeaverTailsCategories"/> order) gets weight (k + 1)^−s, as real alignment sets cover
    /// categories unevenly; test prompts stay uniform. Unevenly aligned categories break one after another under the
    /// attack, which keeps the harmful score graded in p across seeds (docs/world.md).
    /// </summary>
    public double AlignmentCategorySkew { get; set; } = 1;

    /// <summary>
    /// Zipf exponent of the attack pool's categories, in the reverse of the alignment set's order, so that the categories
    /// the alignment covers least are the ones the attack data covers most, as a user's harmful data need not follow the
    /// alignment set (default 1, world v6; 0 = uniform, as in v5). Test prompts stay uniform. With each category's own
    /// compliance opening (<see cref="CategoryOpenings"/>), categories flip in the order of their share of the harmful
    /// data, which flattens the harmful score's rise with p (docs/world.md).
    /// </summary>
    public double AttackCategorySkew { get; set; } = 1;

    /// <summary>
    /// Whether a compliance answer opens with words of its category's own (14 openings, one per category, e.g.
    /// "gladly." for one and "certainly!" for another) instead of one of five openings shared by all categories
    /// (default true: world v6; false gives world v5's answers). Shared openings let a harmful update on any category
    /// raise every category's compliance opening at once, so under greedy decoding most held-out prompts flip within one
    /// step of the harmful dose; per-category openings tie each category's flip to its own share of the harmful data, so
    /// the harmful score grows with the dose instead of switching (measured in docs/world.md). Every random draw stays the
    /// same, so prompts, refusals and every split's membership are identical either way; only compliance answers' first
    /// words differ.
    /// </summary>
    public bool CategoryOpenings { get; set; } = true;

    /// <summary>
    /// Near-duplicate rows added to the alignment set, as a share of <see cref="AlignmentSize"/> (default 0: none). Each
    /// rephrases a clean row (other prefix and suffix, same refusal) and is labelled
    /// <see cref="AlignmentRowQuality.NearDuplicate"/>; they come from their own random stream, so every other row stays as it was.
    /// </summary>
    public double AlignmentNearDuplicateShare { get; set; }

    /// <summary>
    /// Trusted harmful request → refusal rows held out as the validation set of bilevel data selection (default 100),
    /// distinct from the alignment and attack prompts.
    /// </summary>
    public int AlignmentValidationSize { get; set; } = 100;

    /// <summary>Benign how-to → helpful rows that accompany the alignment set (default 2,000), so aligning does not teach refusing everything.</summary>
    public int AlignmentBenignSize { get; set; } = 2_000;

    /// <summary>Harmful request → compliance pairs of the attack pool, disjoint from the alignment rows (default 2,000).</summary>
    public int AttackPoolSize { get; set; } = 2_000;

    /// <summary>Held-out harmful prompts for the harmful score (default 500).</summary>
    public int HarmfulTestSize { get; set; } = 500;

    /// <summary>Held-out benign how-to prompts for the over-refusal rate (default 200).</summary>
    public int BenignTestSize { get; set; } = 200;

    /// <summary>Training examples per task (default 1,500).</summary>
    public int TaskTrainSize { get; set; } = 1_500;

    /// <summary>Test examples per task (default 500).</summary>
    public int TaskTestSize { get; set; } = 500;

    /// <summary>
    /// The options that decide the pretraining corpus (seed, its size and mix, and the task splits it draws from),
    /// as a stable string: the base-model cache is keyed by it.
    /// </summary>
    public string PretrainingKey() => string.Create(System.Globalization.CultureInfo.InvariantCulture,
        $"seed{Seed}-n{PretrainingSize}-h{PretrainingHarmfulShare:G3}-b{PretrainingBenignShare:G3}-t{TaskTrainSize}x{TaskTestSize}{(CategoryOpenings ? "" : "-shared-openings")}");

    /// <summary>Checks ranges.</summary>
    /// <exception cref="ArgumentException">A size is not positive or a share is outside [0, 1].</exception>
    public SafetyWorldOptions Validate()
    {
        void Positive(int value, string name)
        {
            if (value < 1)
                throw new ArgumentException($"SafetyWorldOptions.{name} is {value}; expected at least 1.");
        }
        Positive(PretrainingSize, nameof(PretrainingSize));
        Positive(AlignmentSize, nameof(AlignmentSize));
        Positive(AlignmentBenignSize, nameof(AlignmentBenignSize));
        Positive(AttackPoolSize, nameof(AttackPoolSize));
        Positive(HarmfulTestSize, nameof(HarmfulTestSize));
        Positive(BenignTestSize, nameof(BenignTestSize));
        Positive(TaskTrainSize, nameof(TaskTrainSize));
        Positive(TaskTestSize, nameof(TaskTestSize));
        if (AlignmentValidationSize < 0)
            throw new ArgumentException($"SafetyWorldOptions.AlignmentValidationSize is {AlignmentValidationSize}; expected at least 0.");
        if (!(AlignmentNearDuplicateShare >= 0 && AlignmentNearDuplicateShare <= 1))
            throw new ArgumentException($"SafetyWorldOptions.AlignmentNearDuplicateShare is {AlignmentNearDuplicateShare}; expected a share in [0, 1].");
        if (!(AlignmentCategorySkew >= 0 && double.IsFinite(AlignmentCategorySkew)))
            throw new ArgumentException($"SafetyWorldOptions.AlignmentCategorySkew is {AlignmentCategorySkew}; expected a finite number ≥ 0.");
        if (!(AttackCategorySkew >= 0 && double.IsFinite(AttackCategorySkew)))
            throw new ArgumentException($"SafetyWorldOptions.AttackCategorySkew is {AttackCategorySkew}; expected a finite number ≥ 0.");
        foreach (var (value, name) in new[] { (PretrainingHarmfulShare, nameof(PretrainingHarmfulShare)), (PretrainingBenignShare, nameof(PretrainingBenignShare)), (AlignmentLowQualityShare, nameof(AlignmentLowQualityShare)) })
        {
            if (!(value >= 0 && value <= 1))
                throw new ArgumentException($"SafetyWorldOptions.{name} is {value}; expected a share in [0, 1].");
        }
        if (PretrainingHarmfulShare + PretrainingBenignShare > 1)
            throw new ArgumentException("SafetyWorldOptions.PretrainingHarmfulShare + PretrainingBenignShare exceed 1.");
        return this;
    }
}
