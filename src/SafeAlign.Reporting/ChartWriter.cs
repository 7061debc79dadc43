using System.Text;
using Microsoft.Extensions.Logging;
using ScottPlot;

namespace SafeAlign.Reporting;

/// <summary>Applies the chart font and writes a plot as SVG and/or PNG, each atomically (temp file, then rename).</summary>
internal sealed class ChartWriter
{
    private static readonly Lock FontLock = new();

    private readonly ChartOptions _options;
    private readonly ILogger _logger;
    private string? _font;

    public ChartWriter(ChartOptions options, ILogger logger) => (_options, _logger) = (options, logger);

    /// <summary>The font family every chart uses, resolved once: the file when given, else the installed family, else ScottPlot's default.</summary>
    public string Font => _font ??= ResolveFont();

    public ChartFiles Write(Plot plot, string title, string basePath)
    {
        string full = Path.GetFullPath(basePath);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string? svg = null, png = null;
        if (_options.Formats.HasFlag(ChartFormats.Svg))
        {
            svg = full + ".svg";
            WriteAtomically(svg, Encoding.UTF8.GetBytes(plot.GetSvgXml(_options.Width, _options.Height)));
        }
        if (_options.Formats.HasFlag(ChartFormats.Png))
        {
            png = full + ".png";
            WriteAtomically(png, plot.GetImageBytes(_options.Width, _options.Height, ImageFormat.Png));
        }
        var files = new ChartFiles(title, svg, png);
        Log.ChartWritten(_logger, title, string.Join(", ", files.Paths));
        return files;
    }

    /// <summary>
    /// Breaks <paramref name="text"/> into lines at its "; " separators so that no line is wider than the image less a
    /// margin, measured with the chart font at <paramref name="size"/>.
    /// </summary>
    public string Wrap(string text, float size)
    {
        using var font = new SkiaSharp.SKFont(Fonts.GetTypeface(Font, bold: false, italic: false), size);
        float room = _options.Width - 40;
        var lines = new List<string>();
        string line = "";
        foreach (string part in text.Split("; "))
        {
            string longer = line.Length == 0 ? part : line + "; " + part;
            if (line.Length > 0 && font.MeasureText(longer) > room)
            {
                lines.Add(line + ";");
                line = part;
            }
            else
            {
                line = longer;
            }
        }
        lines.Add(line);
        return string.Join('\n', lines);
    }

    /// <summary>Sets <see cref="Font"/> on every text of the plot (title, axes, ticks, legend).</summary>
    public void ApplyFont(Plot plot)
    {
        plot.Font.Set(Font);
        plot.Legend.FontName = Font;
    }

    // ScottPlot caches the typefaces it returns: they are not disposed here.
    private string ResolveFont()
    {
        string name = _options.FontName;
        lock (FontLock)
        {
            if (_options.FontFile is not null)
            {
                Fonts.AddFontFile(name, _options.FontFile, bold: false, italic: false);
                Fonts.AddFontFile(name, _options.FontFile, bold: true, italic: false);
            }
            var typeface = Fonts.GetTypeface(name, bold: false, italic: false);
            // A registered file keeps its own family name inside, so only an installed family is checked by name.
            bool found = _options.FontFile is not null || string.Equals(typeface.FamilyName, name, StringComparison.OrdinalIgnoreCase);
            if (found && typeface.GlyphCount > 0 && typeface.ContainsGlyph('A'))
                return name;
            if (_options.FontFile is not null)
                throw new ChartFontException(name, $"the file '{_options.FontFile}' has no glyph for 'A'");
            string fallback = Fonts.Default;
            var other = Fonts.GetTypeface(fallback, bold: false, italic: false);
            if (other.GlyphCount == 0 || !other.ContainsGlyph('A'))
                throw new ChartFontException(name, $"it is not installed and the fallback '{fallback}' has no glyphs (no font found on this machine)");
            Log.FontFallback(_logger, name, fallback);
            return fallback;
        }
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        string temp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            File.WriteAllBytes(temp, bytes);
            File.Move(temp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp))
                File.Delete(temp);
        }
    }
}
