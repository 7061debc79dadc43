using System.Globalization;
using System.Text;
using SafeAlign.Evaluation;
using SafeAlign.Scoring;

namespace SafeAlign.Experiments;

/// <summary>Parses the CSV <see cref="ExperimentReport.ToCsv"/> writes (RFC 4180 quoting; columns by header name).</summary>
internal static class ExperimentCsvReader
{
    private static readonly string[] Required =
        ["seed", "selector", "defense", "finetuning", "scorer", "pruner", "p", "alignment_rows", "aligned_hs", "hs", "hs_count", "hs_total",
         "over_refusal", "fa", "selection_s", "alignment_s", "finetune_s", "pruning_s", "alignment_peak_mb"];

    private static readonly string[] MaskCounts =
        ["mask_discarded", "mask_discarded_in_harmful", "mask_harmful_tokens", "mask_harmful_samples", "mask_harmful_touched", "mask_benign_touched"];

    public static IReadOnlyList<ExperimentRow> Parse(string csv, string source)
    {
        var records = Records(csv, source);
        if (records.Count == 0 || records[0].Fields.Count == 0 || records[0].Fields.All(f => f.Length == 0))
            throw new ExperimentCsvFormatException(source, 0, null, "the file is empty; expected the header line " + ExperimentReport.CsvHeader.Split(',')[0] + ",…");
        var header = records[0].Fields;
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < header.Count; i++)
        {
            if (!index.TryAdd(header[i], i))
                throw new ExperimentCsvFormatException(source, 1, header[i], "the column appears twice in the header");
        }
        foreach (string column in Required)
        {
            if (!index.ContainsKey(column))
                throw new ExperimentCsvFormatException(source, 1, column, "the header lacks this column; expected the columns of ExperimentReport.CsvHeader");
        }

        var rows = new List<ExperimentRow>(records.Count - 1);
        foreach (var (line, fields) in records.Skip(1))
        {
            if (fields.Count == 1 && fields[0].Length == 0)
                continue; // blank line
            if (fields.Count != header.Count)
                throw new ExperimentCsvFormatException(source, line, null, $"expected {header.Count} fields as in the header, found {fields.Count}");
            rows.Add(new Row(source, line, fields, index).Read());
        }
        return rows;
    }

    private readonly struct Row(string source, int line, List<string> fields, Dictionary<string, int> index)
    {
        public ExperimentRow Read()
        {
            int hsTotal = Int("hs_total");
            var hs = new RateEstimate(Int("hs_count"), hsTotal);
            var aligned = Rate("aligned_hs", hsTotal);
            var refusal = Rate("over_refusal", hsTotal);
            var fa = Rate("fa", hsTotal);
            double? auc = Has("defect_auc") && Text("defect_auc").Length > 0 ? Double("defect_auc") : null;
            return new ExperimentRow(Long("seed"), Text("selector"), Text("defense"), Text("finetuning"), Text("scorer"), Text("pruner"), Double("p"),
                Int("alignment_rows"), aligned, hs, refusal, fa, Double("selection_s"), Double("alignment_s"), Double("finetune_s"), Double("pruning_s"),
                (long)Math.Round(Double("alignment_peak_mb") * 1e6))
            {
                Mask = Mask(),
                DefectAuc = auc,
            };
        }

        // The exact counts when the file has them; otherwise (files written before they existed) the percentage over the HS total.
        private RateEstimate Rate(string column, int fallbackTotal)
        {
            if (Has(column + "_count") && Has(column + "_total"))
                return new RateEstimate(Int(column + "_count"), Int(column + "_total"));
            return new RateEstimate((int)Math.Round(Double(column) / 100 * fallbackTotal), fallbackTotal);
        }

        private TokenMaskQuality? Mask()
        {
            var row = this;
            if (!MaskCounts.All(row.Has) || MaskCounts.All(c => row.Text(c).Length == 0))
                return null;
            return new TokenMaskQuality(Long(MaskCounts[0]), Long(MaskCounts[1]), Long(MaskCounts[2]), Int(MaskCounts[3]), Int(MaskCounts[4]), Int(MaskCounts[5]));
        }

        private bool Has(string column) => index.ContainsKey(column);

        private string Text(string column) => fields[index[column]];

        private long Long(string column) =>
            long.TryParse(Text(column), NumberStyles.Integer, CultureInfo.InvariantCulture, out long value) ? value : throw Bad(column, "an integer");

        private int Int(string column) =>
            int.TryParse(Text(column), NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) && value >= 0 ? value : throw Bad(column, "a non-negative integer");

        private double Double(string column) =>
            double.TryParse(Text(column), NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && double.IsFinite(value) ? value : throw Bad(column, "a finite number");

        private ExperimentCsvFormatException Bad(string column, string expected) =>
            new(source, line, column, $"expected {expected}, found '{Text(column)}'");
    }

    // Splits the text into records of fields; a quoted field may hold commas, doubled quotes and line breaks.
    private static List<(int Line, List<string> Fields)> Records(string csv, string source)
    {
        var records = new List<(int, List<string>)>();
        var fields = new List<string>();
        var field = new StringBuilder();
        int line = 1, recordLine = 1;
        bool quoted = false, any = false;
        for (int i = 0; i < csv.Length; i++)
        {
            char c = csv[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < csv.Length && csv[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    line += c == '\n' ? 1 : 0;
                    field.Append(c);
                }
                continue;
            }
            switch (c)
            {
                case '"' when field.Length == 0:
                    quoted = any = true;
                    break;
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    any = true;
                    break;
                case '\r':
                    break;
                case '\n':
                    fields.Add(field.ToString());
                    records.Add((recordLine, fields));
                    fields = [];
                    field.Clear();
                    any = false;
                    recordLine = ++line;
                    break;
                default:
                    field.Append(c);
                    any = true;
                    break;
            }
        }
        if (quoted)
            throw new ExperimentCsvFormatException(source, recordLine, null, "a quoted field is not closed");
        if (any || field.Length > 0)
        {
            fields.Add(field.ToString());
            records.Add((recordLine, fields));
        }
        return records;
    }
}
