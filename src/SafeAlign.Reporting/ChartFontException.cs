namespace SafeAlign.Reporting;

/// <summary>No usable font was found to draw chart text; the message names the font asked for and what to install or set.</summary>
public sealed class ChartFontException : InvalidOperationException
{
    /// <summary>Creates the exception.</summary>
    /// <param name="fontName">The font family that was asked for.</param>
    /// <param name="problem">What was found.</param>
    public ChartFontException(string fontName, string problem)
        : base($"Chart font '{fontName}': {problem}. Install a font package (Debian: apt-get install fonts-dejavu-core) or set ChartOptions.FontFile to a .ttf file.")
    {
        FontName = fontName;
    }

    /// <summary>The font family that was asked for.</summary>
    public string FontName { get; }
}
