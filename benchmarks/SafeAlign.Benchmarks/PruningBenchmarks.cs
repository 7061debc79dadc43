using System.Globalization;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using SafeAlign.Native;
using SafeAlign.Pruning;
using TorchSharp;

namespace SafeAlign.Benchmarks;

/// <summary>
/// Antidote's scoring hot path on realistic shapes: per matrix, Wanda's score |W|·sqrt(S), the per-row top-k mask and
/// the in-place masking, against a plain copy of the same weights measured in the same run. "lora-rN" is the user
/// adapter of a Llama-7B-sized model (d = 4096) on q/k/v with rank N: lora_A (N × 4096) and lora_B (4096 × N) per
/// projection, <see cref="Layers"/> layers × 3 projections; "dense-4096" one 4096 × 4096 weight (the full fine-tuning
/// variant). Ratio 0.1. The GB/s column is weight bytes (fp32) over mean time; "% of copy" compares with <see cref="Copy"/>.
/// Threads: all cores, or SAFEALIGN_BENCH_THREADS when set (a shared, oversubscribed box measures more stably on 1).
/// </summary>
[Config(typeof(BandwidthConfig))]
public class PruningBenchmarks
{
    /// <summary>Decoder layers of the LoRA cases: 32, as Llama-7B (the realistic size).</summary>
    public const int Layers = 32;

    private const int Hidden = 4096;
    private const double Ratio = 0.1;
    private torch.Tensor[] _weights = null!, _copies = null!, _statistics = null!, _scores = null!, _selections = null!;
    private long[] _perRow = null!;

    /// <summary>Which weights.</summary>
    [Params("lora-r8", "lora-r64", "lora-r256", "dense-4096")]
    public string Shape { get; set; } = "lora-r8";

    /// <summary>The (rows, columns) of every matrix of a case.</summary>
    public static IEnumerable<(long Rows, long Columns)> Matrices(string shape)
    {
        if (shape == "dense-4096")
            return [(Hidden, Hidden)];
        long r = long.Parse(shape["lora-r".Length..], CultureInfo.InvariantCulture);
        return Enumerable.Range(0, Layers * 3).SelectMany(_ => new[] { (r, (long)Hidden), ((long)Hidden, r) });
    }

    /// <summary>fp32 weight bytes of a case.</summary>
    public static double WeightBytes(string shape) => Matrices(shape).Sum(m => m.Rows * m.Columns * 4.0);

    [GlobalSetup]
    public void Setup()
    {
        BandwidthConfig.ResolveDevice();
        var generator = new torch.Generator(7);
        var shapes = Matrices(Shape).ToArray();
        _weights = shapes.Select(s => Keep(torch.randn([s.Rows, s.Columns], generator: generator) * 0.02)).ToArray();
        _copies = shapes.Select(s => Keep(torch.empty(s.Rows, s.Columns))).ToArray();
        _statistics = shapes.Select(s => Keep(torch.rand([s.Columns], generator: generator) * 10)).ToArray();
        _perRow = shapes.Select(s => RowPruning.PrunedPerRow(s.Columns, Ratio)).ToArray();
        _scores = _weights.Select((w, i) => Keep(RowPruning.WandaScore(w, _statistics[i]))).ToArray();
        _selections = _scores.Select((s, i) => Keep(RowPruning.TopPerRow(s, _perRow[i]))).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        foreach (var t in _weights.Concat(_copies).Concat(_statistics).Concat(_scores).Concat(_selections))
            t.Dispose();
    }

    /// <summary>The memory-bandwidth reference: copy every weight once.</summary>
    [Benchmark(Baseline = true)]
    public int Copy()
    {
        for (int i = 0; i < _weights.Length; i++)
            _copies[i].copy_(_weights[i]);
        return _weights.Length;
    }

    /// <summary>|W|·sqrt(S) per matrix.</summary>
    [Benchmark]
    public int Score() => Each(i => RowPruning.WandaScore(_weights[i], _statistics[i]));

    /// <summary>Per-row top-k (column indices, deterministic ties) on precomputed scores.</summary>
    [Benchmark]
    public int Select() => Each(i => RowPruning.TopPerRow(_scores[i], _perRow[i]));

    /// <summary>Zero the selected entries in place, every matrix in one call as the pruner does (idempotent, so every invocation does the same work).</summary>
    [Benchmark]
    public int Mask()
    {
        RowPruning.Apply(_weights.Zip(_selections).ToList());
        return _weights.Length;
    }

    /// <summary>Score, select and mask: the pruner's per-matrix work.</summary>
    [Benchmark]
    public int ScoreSelectMask() => Each(i =>
    {
        var selection = RowPruning.TopPerRow(RowPruning.WandaScore(_weights[i], _statistics[i]), _perRow[i]);
        RowPruning.Apply(_weights[i], selection);
        return selection;
    });

    private int Each(Func<int, torch.Tensor> work)
    {
        for (int i = 0; i < _weights.Length; i++)
        {
            using var scope = torch.NewDisposeScope();
            work(i);
        }
        return _weights.Length;
    }

    private static torch.Tensor Keep(torch.Tensor t) => t.DetachFromDisposeScope();
}

/// <summary>
/// The calibration statistic's kernel per token: Σ over real tokens of x² for a padded batch of 8 × 256 positions
/// (about a quarter of them padding), at d = 4096 (lora_A's and the dense weights' input) and r = 256 (lora_B's input).
/// Time per batch position (OperationsPerInvoke), padding included; GB/s is the batch's activation bytes (fp32) over
/// mean time. q/k/v share their input, so a layer pays this once for its three lora_A statistics.
/// </summary>
[Config(typeof(BandwidthConfig))]
public class PruningStatisticBenchmarks
{
    /// <summary>Positions per batch.</summary>
    public const int Batch = 8, Sequence = 256;

    private torch.Tensor _x = null!, _positions = null!, _copy = null!;

    /// <summary>Feature count of the tapped tensor.</summary>
    [Params(256, 4096)]
    public int Features { get; set; }

    /// <summary>fp32 activation bytes of one batch.</summary>
    public static double ActivationBytes(int features) => (double)Batch * Sequence * features * 4;

    [GlobalSetup]
    public void Setup()
    {
        BandwidthConfig.ResolveDevice();
        var generator = new torch.Generator(3);
        _x = torch.randn([Batch, Sequence, Features], generator: generator).DetachFromDisposeScope();
        _copy = torch.empty_like(_x).DetachFromDisposeScope();
        // Rows of random length ≥ 1/2 of the width: about a quarter of the positions are padding.
        var lengths = torch.randint(Sequence / 2, Sequence + 1, [Batch, 1], generator: generator);
        var mask = torch.arange(Sequence).unsqueeze(0).lt(lengths);                  // (B, T)
        _positions = ActivationStatistics.RealPositions(mask).DetachFromDisposeScope();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _positions.Dispose();
        _copy.Dispose();
    }

    /// <summary>Copy of the activations: the bandwidth reference.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Batch * Sequence)]
    public int Copy()
    {
        _copy.copy_(_x);
        return 1;
    }

    /// <summary>Σ over real tokens of x², as <see cref="ActivationStatistics"/> folds in each tapped tensor.</summary>
    [Benchmark(OperationsPerInvoke = Batch * Sequence)]
    public float Accumulate()
    {
        using var scope = torch.NewDisposeScope();
        return ActivationStatistics.SquareSum(_x, _positions).data<float>()[0];
    }
}

/// <summary>Adds the GB/s and % of copy bandwidth columns to the pruning benchmarks.</summary>
public sealed class BandwidthConfig : ManualConfig
{
    /// <summary>Creates the config.</summary>
    public BandwidthConfig()
    {
        AddColumn(new BandwidthColumn(relative: false), new BandwidthColumn(relative: true));
    }

    /// <summary>CPU with all cores, or SAFEALIGN_BENCH_THREADS threads when that variable is set.</summary>
    public static void ResolveDevice()
    {
        string? threads = Environment.GetEnvironmentVariable("SAFEALIGN_BENCH_THREADS");
        SafeAlignDevice.Resolve(new DeviceOptions { Device = "cpu", Threads = threads is null ? 0 : int.Parse(threads, CultureInfo.InvariantCulture) });
    }
}

/// <summary>GB/s of the case's bytes over its mean time, or that bandwidth as a share of the same case's Copy.</summary>
public sealed class BandwidthColumn(bool relative) : IColumn
{
    /// <inheritdoc />
    public string Id => relative ? "CopyShare" : "GBps";

    /// <inheritdoc />
    public string ColumnName => relative ? "% of copy" : "GB/s";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => relative ? 1 : 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => relative ? "Bandwidth relative to a plain copy of the same bytes in the same run" : "Bytes of weights (or activations) processed per second, 1e9";

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        double? own = Bandwidth(summary, benchmarkCase);
        if (own is null)
            return "-";
        if (!relative)
            return own.Value.ToString("F2", CultureInfo.InvariantCulture);
        var copy = summary.BenchmarksCases.FirstOrDefault(c => c.Descriptor.WorkloadMethod.Name == "Copy"
            && c.Descriptor.Type == benchmarkCase.Descriptor.Type && c.Parameters.DisplayInfo == benchmarkCase.Parameters.DisplayInfo);
        double? reference = copy is null ? null : Bandwidth(summary, copy);
        return reference is null ? "-" : (100 * own.Value / reference.Value).ToString("F0", CultureInfo.InvariantCulture) + " %";
    }

    private static double? Bandwidth(Summary summary, BenchmarkCase benchmarkCase)
    {
        var statistics = summary[benchmarkCase]?.ResultStatistics;
        if (statistics is null)
            return null;
        double bytes = benchmarkCase.Descriptor.Type == typeof(PruningBenchmarks)
            ? PruningBenchmarks.WeightBytes((string)benchmarkCase.Parameters["Shape"])
            : PruningStatisticBenchmarks.ActivationBytes((int)benchmarkCase.Parameters["Features"]) / (PruningStatisticBenchmarks.Batch * PruningStatisticBenchmarks.Sequence);
        return bytes / statistics.Mean; // bytes per ns = GB/s
    }
}
