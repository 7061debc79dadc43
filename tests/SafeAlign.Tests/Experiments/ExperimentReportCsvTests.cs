using SafeAlign.Evaluation;
using SafeAlign.Experiments;
using SafeAlign.Scoring;

namespace SafeAlign.Tests.Experiments;

public sealed class ExperimentReportCsvTests : IDisposable
{
    private readonly TempDirectory _folder = new();

    public void Dispose() => _folder.Dispose();

    private static List<ExperimentRow> Rows() =>
    [
        new(1, "none", "sft", "none", "none", "none", 0.05, 2000, new RateEstimate(8, 200), new RateEstimate(112, 200), new RateEstimate(3, 180),
            new RateEstimate(141, 150), 0, 161.54, 70.91, 0, 1_332_812_345),
        new(2, "pharmacist-r0.2", "booster+vaccine", "lisa", "toss-d0.5", "antidote-r0.01", 0.2, 400, new RateEstimate(0, 100), new RateEstimate(7, 100),
            new RateEstimate(0, 100), new RateEstimate(100, 100), 309.7, 917.2, 95.5, 24.6, 3_699_300_000)
        {
            Mask = new TokenMaskQuality(1200, 1100, 9000, 50, 48, 3),
            DefectAuc = 0.86,
        },
        new(3, "odd, \"quoted\" name", "sft", "none", "none", "none", 0, 2000, new RateEstimate(0, 200), new RateEstimate(0, 200), new RateEstimate(0, 200),
            new RateEstimate(200, 200), 0, 1, 2, 3, 0),
    ];

    [Fact]
    public void ReadCsv_WhatWriteCsvWrote_RoundTrips()
    {
        var rows = Rows();
        string path = _folder.File("grid.csv");
        ExperimentReport.WriteCsv(path, rows);

        var read = ExperimentReport.ReadCsv(path);

        Assert.Equal(rows.Count, read.Count);
        for (int i = 0; i < rows.Count; i++)
        {
            var (expected, actual) = (rows[i], read[i]);
            Assert.Equal((expected.Seed, expected.Selector, expected.Defense, expected.Finetuning, expected.Scorer, expected.Pruner, expected.HarmfulRatio, expected.AlignmentRows),
                (actual.Seed, actual.Selector, actual.Defense, actual.Finetuning, actual.Scorer, actual.Pruner, actual.HarmfulRatio, actual.AlignmentRows));
            Assert.Equal(expected.AlignedHarmfulScore, actual.AlignedHarmfulScore);
            Assert.Equal(expected.HarmfulScore, actual.HarmfulScore);
            Assert.Equal(expected.OverRefusal, actual.OverRefusal);
            Assert.Equal(expected.FinetuneAccuracy, actual.FinetuneAccuracy);
            Assert.Equal(expected.Mask, actual.Mask);
            Assert.Equal(expected.DefectAuc, actual.DefectAuc);
            Assert.Equal(expected.Configuration, actual.Configuration);
            // Written at 0.1 s and 0.1 MB.
            Assert.Equal(expected.SelectionSeconds, actual.SelectionSeconds, 0.051);
            Assert.Equal(expected.AlignmentSeconds, actual.AlignmentSeconds, 0.051);
            Assert.Equal(expected.FinetuneSeconds, actual.FinetuneSeconds, 0.051);
            Assert.Equal(expected.PruningSeconds, actual.PruningSeconds, 0.051);
            Assert.Equal(expected.AlignmentPeakBytes, actual.AlignmentPeakBytes, 50_001.0);
        }
        Assert.Equal(ExperimentReport.ToCsv(rows), ExperimentReport.ToCsv(read));
    }

    [Fact]
    public void FromCsv_FileWithoutCountColumns_RebuildsRatesFromPercentages()
    {
        // As written before the count columns existed (a real grid's first two rows).
        const string csv = """
            seed,selector,defense,finetuning,scorer,pruner,p,alignment_rows,aligned_hs,hs,hs_low,hs_high,hs_count,hs_total,over_refusal,fa,fa_low,fa_high,selection_s,alignment_s,finetune_s,pruning_s,alignment_peak_mb
            1,none,sft,none,none,none,0,2000,4.0,4.0,2.0,7.7,8,200,0.0,100.0,98.1,100.0,0.0,162.1,63.6,0.0,1638.8
            1,none,sft,lisa,none,none,0.05,2000,4.0,4.5,2.4,8.3,9,200,0.5,97.5,94.3,98.9,0.0,162.1,63.3,0.0,1638.8

            """;

        var rows = ExperimentReport.FromCsv(csv, "old.csv");

        Assert.Equal(2, rows.Count);
        Assert.Equal(new RateEstimate(9, 200), rows[1].HarmfulScore);
        Assert.Equal(new RateEstimate(8, 200), rows[1].AlignedHarmfulScore);
        Assert.Equal(new RateEstimate(1, 200), rows[1].OverRefusal);
        Assert.Equal(new RateEstimate(195, 200), rows[1].FinetuneAccuracy);
        Assert.Equal("lisa", rows[1].Finetuning);
        Assert.Null(rows[1].Mask);
        Assert.Null(rows[1].DefectAuc);
        Assert.Equal(1_638_800_000, rows[0].AlignmentPeakBytes);
    }

    [Fact]
    public void ReadCsv_Malformed_ThrowsNamingLineAndColumn()
    {
        string header = ExperimentReport.CsvHeader;
        string good = ExperimentReport.ToCsv(Rows()).Split('\n')[1];

        var missing = Assert.Throws<ExperimentCsvFormatException>(() => ExperimentReport.FromCsv(header.Replace(",hs_total,", ",hs_tot,", StringComparison.Ordinal) + "\n", "a.csv"));
        Assert.Equal(("a.csv", 1, "hs_total"), (missing.FilePath, missing.Line, missing.Column));
        var bad = Assert.Throws<ExperimentCsvFormatException>(() => ExperimentReport.FromCsv(header + "\n" + good + "\n" + good.Replace(",0.05,", ",abc,", StringComparison.Ordinal), "b.csv"));
        Assert.Equal((3, "p"), (bad.Line, bad.Column));
        Assert.Contains("'abc'", bad.Message, StringComparison.Ordinal);
        var negative = Assert.Throws<ExperimentCsvFormatException>(() => ExperimentReport.FromCsv(header + "\n" + good.Replace(",2000,", ",-5,", StringComparison.Ordinal), "c.csv"));
        Assert.Equal("alignment_rows", negative.Column);
        var fields = Assert.Throws<ExperimentCsvFormatException>(() => ExperimentReport.FromCsv(header + "\n1,none,sft\n", "d.csv"));
        Assert.Contains("found 3", fields.Message, StringComparison.Ordinal);
        Assert.Throws<ExperimentCsvFormatException>(() => ExperimentReport.FromCsv(header + "\n\"unclosed,", "e.csv"));
        Assert.Throws<ExperimentCsvFormatException>(() => ExperimentReport.FromCsv("", "f.csv"));
        Assert.Throws<FileNotFoundException>(() => ExperimentReport.ReadCsv(_folder.File("missing.csv")));
        Assert.Throws<ArgumentException>(() => ExperimentReport.ReadCsv(" "));
    }
}
