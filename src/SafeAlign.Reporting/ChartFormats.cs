namespace SafeAlign.Reporting;

/// <summary>The image formats a chart is written in.</summary>
[Flags]
public enum ChartFormats
{
    /// <summary>Scalable vector graphics (text stays text).</summary>
    Svg = 1,

    /// <summary>Portable network graphics at <see cref="ChartOptions.Width"/> × <see cref="ChartOptions.Height"/> pixels.</summary>
    Png = 2,

    /// <summary>Both.</summary>
    Both = Svg | Png,
}
