namespace SafeAlign.Reporting;

/// <summary>The files one chart was written to.</summary>
/// <param name="Title">The chart's title.</param>
/// <param name="Svg">The SVG file, or null when SVG was not asked for.</param>
/// <param name="Png">The PNG file, or null when PNG was not asked for.</param>
public sealed record ChartFiles(string Title, string? Svg, string? Png)
{
    /// <summary>The written files, SVG first.</summary>
    public IEnumerable<string> Paths => new[] { Svg, Png }.OfType<string>();
}
