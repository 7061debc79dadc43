using Microsoft.Extensions.Logging;

namespace SafeAlign.Defenses.TVaccine;

/// <summary>Log messages of T-Vaccine (event ids 1750–1759 of the Defenses range 1700–1799).</summary>
internal static partial class Log
{
    [LoggerMessage(1750, LogLevel.Debug, "Step {Step}: layer probe on harmful example {Example}, probabilities [{Probabilities}]")]
    public static partial void Probed(ILogger logger, int step, int example, string probabilities);

    [LoggerMessage(1751, LogLevel.Debug, "Step {Step}: active layers [{Layers}]")]
    public static partial void LayersSampled(ILogger logger, int step, string layers);
}
