using Microsoft.Extensions.DependencyInjection;
using SafeAlign.Defenses;
using SafeAlign.DependencyInjection;
using SafeAlign.Pruning;
using SafeAlign.Scoring;
using SafeAlign.Selection;

namespace SafeAlign.Cli.Hosting;

/// <summary>
/// The names each stage is registered under by <c>services.AddSafeAlign()</c>, read from the registrations themselves, so
/// the tool accepts exactly the library's stages and a new registration needs no change here.
/// </summary>
public static class StageNames
{
    private static readonly Lazy<IServiceCollection> Registrations = new(() => new ServiceCollection().AddSafeAlign());

    /// <summary>Alignment-data selectors ("pharmacist", "random", ...).</summary>
    public static IReadOnlyList<string> Selectors => Of<IAlignmentDataSelector>();

    /// <summary>Alignment defenses ("sft", "vaccine", ...).</summary>
    public static IReadOnlyList<string> Defenses => Of<IAlignmentDefense>();

    /// <summary>Token risk scorers ("toss", "random-tokens", ...).</summary>
    public static IReadOnlyList<string> Scorers => Of<ITokenRiskScorer>();

    /// <summary>Post-fine-tuning pruners ("antidote", "magnitude", ...).</summary>
    public static IReadOnlyList<string> Pruners => Of<IPostFinetunePruner>();

    /// <summary>The keys <typeparamref name="T"/> is registered under, in registration order.</summary>
    public static IReadOnlyList<string> Of<T>() =>
        [.. Registrations.Value.Where(d => d.ServiceType == typeof(T) && d.IsKeyedService && d.ServiceKey is string).Select(d => (string)d.ServiceKey!)];
}
