using System.Xml.Linq;
using SkiaSharp;

namespace SafeAlign.Tests.Reporting;

/// <summary>Checks on written chart files: PNGs decode, have the asked size, are not blank and carry text; SVGs parse.</summary>
internal static class ChartImages
{
    /// <summary>Decodes the PNG and checks its size, that it is not one flat colour and that its title band holds dark (text) pixels.</summary>
    public static void AssertPng(string path, int width, int height)
    {
        Assert.True(File.Exists(path), path);
        Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(path)[..4]);
        using var bitmap = SKBitmap.Decode(path);
        Assert.NotNull(bitmap);
        Assert.Equal(width, bitmap.Width);
        Assert.Equal(height, bitmap.Height);

        // Luminance variance over a grid of samples: a blank (all-white or all-one-colour) image has none.
        var luminance = new List<double>();
        for (int y = 0; y < height; y += 3)
        for (int x = 0; x < width; x += 3)
        {
            var c = bitmap.GetPixel(x, y);
            luminance.Add(0.2126 * c.Red + 0.7152 * c.Green + 0.0722 * c.Blue);
        }
        double mean = luminance.Average();
        double variance = luminance.Average(l => (l - mean) * (l - mean));
        Assert.True(variance > 50, $"{path}: luminance variance {variance:F1}, the image looks blank");

        // The title is drawn in the top band, centred; dark pixels there mean the font rendered glyphs.
        int dark = 0;
        for (int y = 2; y < 45; y++)
        for (int x = width / 4; x < 3 * width / 4; x++)
        {
            var c = bitmap.GetPixel(x, y);
            dark += c.Red + c.Green + c.Blue < 200 ? 1 : 0;
        }
        Assert.True(dark > 200, $"{path}: only {dark} dark pixels in the title band; the title text did not render");
    }

    /// <summary>Parses the SVG and returns the text of every text element, trimmed.</summary>
    public static IReadOnlyList<string> SvgTexts(string path, int width, int height)
    {
        Assert.True(File.Exists(path), path);
        var svg = XDocument.Load(path).Root!;
        Assert.Equal("svg", svg.Name.LocalName);
        Assert.Equal(width.ToString(System.Globalization.CultureInfo.InvariantCulture), svg.Attribute("width")?.Value);
        Assert.Equal(height.ToString(System.Globalization.CultureInfo.InvariantCulture), svg.Attribute("height")?.Value);
        return svg.Descendants().Where(e => e.Name.LocalName == "text").Select(e => e.Value.Trim()).ToList();
    }
}
