namespace SafeAlign.Reporting;

/// <summary>How <see cref="ExperimentCharts"/> draws and writes charts.</summary>
public sealed class ChartOptions
{
    /// <summary>Image width in pixels (default 900).</summary>
    public int Width { get; set; } = 900;

    /// <summary>Image height in pixels (default 560).</summary>
    public int Height { get; set; } = 560;

    /// <summary>The formats written per chart (default both SVG and PNG).</summary>
    public ChartFormats Formats { get; set; } = ChartFormats.Both;

    /// <summary>
    /// Font family for every text (default "DejaVu Sans", Debian's fonts-dejavu-core). When it is not installed the
    /// charts fall back to the default font ScottPlot detects; see <see cref="FontFile"/> for machines without fonts.
    /// </summary>
    public string FontName { get; set; } = "DejaVu Sans";

    /// <summary>
    /// A TrueType/OpenType file registered as <see cref="FontName"/> before drawing (null: use the installed fonts).
    /// For containers without any font installed.
    /// </summary>
    public string? FontFile { get; set; }

    /// <summary>
    /// A note appended to every chart's subtitle, for what the rows do not record (e.g. "attack lr 1e-4 × 4 epochs,
    /// cosine"); null for none.
    /// </summary>
    public string? Note { get; set; }

    /// <summary>Bins of the token risk histogram (default 60).</summary>
    public int HistogramBins { get; set; } = 60;

    /// <summary>Checks every value; throws naming the first bad one.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A size or bin count is out of range, or no format is chosen.</exception>
    /// <exception cref="ArgumentException">The font name is empty.</exception>
    /// <exception cref="FileNotFoundException">The font file does not exist.</exception>
    public void Validate()
    {
        if (Width is < 100 or > 8000)
            throw new ArgumentOutOfRangeException(nameof(Width), Width, "ChartOptions.Width must be between 100 and 8000 pixels.");
        if (Height is < 100 or > 8000)
            throw new ArgumentOutOfRangeException(nameof(Height), Height, "ChartOptions.Height must be between 100 and 8000 pixels.");
        if ((Formats & ChartFormats.Both) == 0 || (Formats & ~ChartFormats.Both) != 0)
            throw new ArgumentOutOfRangeException(nameof(Formats), Formats, "ChartOptions.Formats must be Svg, Png or both.");
        if (string.IsNullOrWhiteSpace(FontName))
            throw new ArgumentException("ChartOptions.FontName must name a font family.", nameof(FontName));
        if (FontFile is not null && !File.Exists(FontFile))
            throw new FileNotFoundException($"ChartOptions.FontFile '{FontFile}' does not exist.", FontFile);
        if (HistogramBins is < 2 or > 1000)
            throw new ArgumentOutOfRangeException(nameof(HistogramBins), HistogramBins, "ChartOptions.HistogramBins must be between 2 and 1000.");
    }
}
