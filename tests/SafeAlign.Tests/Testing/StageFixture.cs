using SafeAlign.Testing;

namespace SafeAlign.Tests.Testing;

/// <summary>One tiny world (seed 4) shared by the stage-double tests.</summary>
internal static class StageFixture
{
    private static readonly Lazy<TinySafetyWorld> LazyTiny = new(() => TinySafetyWorld.Create(seed: 4));

    public static TinySafetyWorld Tiny => LazyTiny.Value;
}
