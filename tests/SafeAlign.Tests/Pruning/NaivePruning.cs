using SafeAlign.Models;
using SafeAlign.Models.Taps;
using TorchSharp;

namespace SafeAlign.Tests.Pruning;

/// <summary>
/// The oracle: Antidote's statistic, score and per-row selection computed one sample at a time in double precision with
/// plain loops, from projection inputs captured with a bare tap (lora_B's input is recomputed as A·x, not tapped).
/// </summary>
internal static class NaivePruning
{
    /// <summary>S_j = mean over samples of Σ_t x_{t,j}², per projection input (key: layer, module) and per lora_A output.</summary>
    public static (Dictionary<(int, string), double[]> Inputs, Dictionary<(int, string), double[]> Hidden) Statistics(CausalLM model, IReadOnlyList<int[]> sequences)
    {
        var inputs = new Dictionary<(int, string), double[]>();
        var hidden = new Dictionary<(int, string), double[]>();
        var linears = model.Projections().ToDictionary(p => (p.Linear.Site.Layer, p.Linear.Site.Module), p => p.Linear);
        using var noGrad = torch.no_grad();
        foreach (var sequence in sequences)
        {
            using var scope = torch.NewDisposeScope();
            using var tap = model.Taps.Add(TapPoint.LinearInput, (site, x) =>
            {
                var key = (site.Layer, site.Module);
                Add(inputs, key, x.to(torch.float64).reshape(-1, x.shape[^1]));
                if (linears[key].LoraA is { } a)
                    Add(hidden, key, torch.matmul(x.to(torch.float64).reshape(-1, x.shape[^1]), a.Weight.to(torch.float64).t()));
                return x;
            });
            model.HiddenStates(torch.tensor(sequence.Select(i => (long)i).ToArray(), [1, sequence.Length]));
        }
        foreach (var s in inputs.Values.Concat(hidden.Values))
        {
            for (int j = 0; j < s.Length; j++)
                s[j] /= sequences.Count;
        }
        return (inputs, hidden);
    }

    /// <summary>Row-major (rows × columns) values of a matrix, as doubles.</summary>
    public static double[] Values(torch.Tensor matrix) => matrix.detach().to(torch.float64).contiguous().data<double>().ToArray();

    /// <summary>|W_ij| · sqrt(S_j), row-major.</summary>
    public static double[] WandaScores(torch.Tensor weight, double[] statistic)
    {
        var w = Values(weight);
        long columns = weight.shape[1];
        return w.Select((v, i) => Math.Abs(v) * Math.Sqrt(statistic[i % columns])).ToArray();
    }

    /// <summary>Per row, the k highest scores (ties: lower column first), as a row-major bool array.</summary>
    public static bool[] TopPerRow(double[] scores, long rows, long columns, long k)
    {
        var mask = new bool[scores.Length];
        for (long r = 0; r < rows; r++)
        {
            var order = Enumerable.Range(0, (int)columns).OrderByDescending(c => scores[r * columns + c]).ThenBy(c => c).Take((int)k);
            foreach (int c in order)
                mask[r * columns + c] = true;
        }
        return mask;
    }

    private static void Add(Dictionary<(int, string), double[]> sums, (int, string) key, torch.Tensor rows)
    {
        var squares = rows.square().sum([0]).data<double>().ToArray();
        if (!sums.TryGetValue(key, out var sum))
            sums[key] = sum = new double[squares.Length];
        for (int j = 0; j < squares.Length; j++)
            sum[j] += squares[j];
    }
}
