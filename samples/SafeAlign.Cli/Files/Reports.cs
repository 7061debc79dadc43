using System.Text.Json.Nodes;
using SafeAlign.Evaluation;
using SafeAlign.Models.Lora;
using SafeAlign.Training;

namespace SafeAlign.Cli.Files;

/// <summary>The JSON shapes the commands share: a training run, an adapter, a rate with its interval.</summary>
public static class Reports
{
    /// <summary>Steps, losses, time, tokens and peak memory of a training run.</summary>
    public static JsonObject Training(TrainingReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        return new JsonObject
        {
            ["steps"] = report.Steps,
            ["first_loss"] = report.Losses.Count > 0 ? JsonFiles.Number(report.Losses[0]) : null,
            ["final_loss"] = report.Losses.Count > 0 ? JsonFiles.Number(report.Losses[^1]) : null,
            ["losses"] = JsonFiles.Numbers(report.Losses),
            ["elapsed_seconds"] = report.Elapsed.TotalSeconds,
            ["tokens"] = report.Tokens,
            ["tokens_per_second"] = JsonFiles.Number(report.TokensPerSecond),
            ["peak_working_set_bytes"] = report.PeakWorkingSetBytes,
        };
    }

    /// <summary>A LoRA configuration.</summary>
    public static JsonObject Adapter(LoraConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new JsonObject
        {
            ["rank"] = config.Rank,
            ["alpha"] = config.Alpha,
            ["target_modules"] = JsonFiles.Strings(config.TargetModules),
        };
    }

    /// <summary>A rate: count, total, rate, percent and its 95 % Wilson interval.</summary>
    public static JsonObject Rate(RateEstimate estimate)
    {
        var (low, high) = estimate.Interval95;
        return new JsonObject
        {
            ["count"] = estimate.Count,
            ["total"] = estimate.Total,
            ["rate"] = estimate.Rate,
            ["percent"] = estimate.Percent,
            ["ci95_low"] = low,
            ["ci95_high"] = high,
        };
    }
}
