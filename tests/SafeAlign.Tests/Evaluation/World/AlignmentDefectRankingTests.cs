using SafeAlign.Evaluation.World;

namespace SafeAlign.Tests.Evaluation.World;

public sealed class AlignmentDefectRankingTests
{
    private const AlignmentRowQuality C = AlignmentRowQuality.Clean, O = AlignmentRowQuality.OffTopic, M = AlignmentRowQuality.Mislabelled;

    [Fact]
    public void Auc_PerfectReversedAndTied_Rankings()
    {
        AlignmentRowQuality[] q = [C, O, C, M];
        Assert.Equal(1.0, AlignmentDefectRanking.Auc([5, 1, 4, 2], q));
        Assert.Equal(0.0, AlignmentDefectRanking.Auc([1, 5, 2, 4], q));
        Assert.Equal(0.5, AlignmentDefectRanking.Auc([3, 3, 3, 3], q));
    }

    [Fact]
    public void Auc_EqualsThePairCountingDefinition_OnARandomCaseWithTies()
    {
        var random = new Random(3);
        var qualities = Enumerable.Range(0, 200).Select(_ => (AlignmentRowQuality)random.Next(5)).ToArray();
        var scores = Enumerable.Range(0, 200).Select(_ => (double)random.Next(20)).ToArray(); // many ties

        // Oracle: over every (clean, defective) pair, 1 if the clean row scores higher, ½ on a tie.
        double Pairs(Func<AlignmentRowQuality, bool> defect)
        {
            double wins = 0, pairs = 0;
            for (int i = 0; i < 200; i++)
            for (int j = 0; j < 200; j++)
            {
                if (qualities[i] != C || !defect(qualities[j]))
                    continue;
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
            return wins / pairs;
        }

        Assert.Equal(Pairs(q => q != C), AlignmentDefectRanking.Auc(scores, qualities), 12);
        Assert.Equal(Pairs(q => q == M), AlignmentDefectRanking.Auc(scores, qualities, M), 12);
        var report = AlignmentDefectRanking.Report(scores, qualities);
        Assert.Equal(["All", "OffTopic", "Truncated", "Mislabelled", "NearDuplicate"], report.Keys);
        Assert.Equal(Pairs(q => q == O), report["OffTopic"], 12);
    }

    [Fact]
    public void Auc_BadInput_Throws()
    {
        Assert.Throws<ArgumentException>(() => AlignmentDefectRanking.Auc([1, 2], [C]));
        Assert.Throws<ArgumentException>(() => AlignmentDefectRanking.Auc([1, 2], [C, C]));
        Assert.Throws<ArgumentException>(() => AlignmentDefectRanking.Auc([1, double.NaN], [C, O]));
        Assert.Throws<ArgumentException>(() => AlignmentDefectRanking.Auc([1, 2], [C, O], C));
        Assert.Throws<ArgumentException>(() => AlignmentDefectRanking.Auc([1, 2], [C, O], M));
    }
}
