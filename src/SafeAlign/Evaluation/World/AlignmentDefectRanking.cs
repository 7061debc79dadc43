namespace SafeAlign.Evaluation.World;

/// <summary>
/// How well a data selector's scores separate the world's clean alignment rows from its defective ones, which the
/// world knows and no real data set does: the ROC AUC that a random clean row scores above a random defective row
/// (ties count one half), i.e. the Mann–Whitney U over (clean × defective) pairs. 1 = every clean row ranked above
/// every defective row, 0.5 = no better than chance.
/// </summary>
public static class AlignmentDefectRanking
{
    /// <summary>AUC of clean rows against every non-clean row.</summary>
    /// <param name="scores">One score per alignment row (higher = more worth keeping), in <see cref="SafetyWorld.Alignment"/> order.</param>
    /// <param name="qualities">The rows' ground-truth qualities, in the same order.</param>
    /// <exception cref="ArgumentException">Lengths differ, a score is not finite, or there is no clean or no defective row.</exception>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<AlignmentRowQuality> qualities) =>
        Auc(scores, qualities, q => q != AlignmentRowQuality.Clean, "defective");

    /// <summary>AUC of clean rows against the rows of one defect kind.</summary>
    /// <param name="scores">One score per alignment row, in <see cref="SafetyWorld.Alignment"/> order.</param>
    /// <param name="qualities">The rows' ground-truth qualities, in the same order.</param>
    /// <param name="defect">The kind compared with the clean rows; rows of other kinds are left out.</param>
    /// <exception cref="ArgumentException">As <see cref="Auc(IReadOnlyList{double}, IReadOnlyList{AlignmentRowQuality})"/>, or <paramref name="defect"/> is Clean.</exception>
    public static double Auc(IReadOnlyList<double> scores, IReadOnlyList<AlignmentRowQuality> qualities, AlignmentRowQuality defect)
    {
        if (defect == AlignmentRowQuality.Clean)
            throw new ArgumentException("defect is Clean; expected a defect kind to compare the clean rows with.", nameof(defect));
        return Auc(scores, qualities, q => q == defect, defect.ToString());
    }

    /// <summary>The AUC against all defects ("All") and against each defect kind present, for a report.</summary>
    /// <param name="scores">One score per alignment row.</param>
    /// <param name="qualities">The rows' ground-truth qualities.</param>
    public static IReadOnlyDictionary<string, double> Report(IReadOnlyList<double> scores, IReadOnlyList<AlignmentRowQuality> qualities)
    {
        var report = new Dictionary<string, double> { ["All"] = Auc(scores, qualities) };
        foreach (var kind in qualities.Where(q => q != AlignmentRowQuality.Clean).Distinct().Order())
            report[kind.ToString()] = Auc(scores, qualities, kind);
        return report;
    }

    private static double Auc(IReadOnlyList<double> scores, IReadOnlyList<AlignmentRowQuality> qualities, Func<AlignmentRowQuality, bool> isDefect, string what)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(qualities);
        if (scores.Count != qualities.Count)
            throw new ArgumentException($"{scores.Count} scores for {qualities.Count} rows; expected one score per row.", nameof(scores));
        var rows = new List<(double Score, bool Clean)>();
        for (int i = 0; i < scores.Count; i++)
        {
            if (!double.IsFinite(scores[i]))
                throw new ArgumentException($"Score {i} is {scores[i]}; expected a finite number.", nameof(scores));
            if (qualities[i] == AlignmentRowQuality.Clean)
                rows.Add((scores[i], true));
            else if (isDefect(qualities[i]))
                rows.Add((scores[i], false));
        }
        long clean = rows.Count(r => r.Clean), defective = rows.Count - clean;
        if (clean == 0 || defective == 0)
            throw new ArgumentException($"The rows hold {clean} clean and {defective} {what} rows; the AUC needs at least one of each.", nameof(qualities));
        // Mann–Whitney: sum of the clean rows' ascending ranks, ties given their average rank.
        rows.Sort((a, b) => a.Score.CompareTo(b.Score));
        double cleanRankSum = 0;
        for (int start = 0; start < rows.Count;)
        {
            int end = start;
            while (end + 1 < rows.Count && rows[end + 1].Score == rows[start].Score)
                end++;
            double averageRank = (start + end) / 2.0 + 1;
            for (int k = start; k <= end; k++)
            {
                if (rows[k].Clean)
                    cleanRankSum += averageRank;
            }
            start = end + 1;
        }
        return (cleanRankSum - clean * (clean + 1) / 2.0) / ((double)clean * defective);
    }
}
