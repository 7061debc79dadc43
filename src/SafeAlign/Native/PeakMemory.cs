using System.Diagnostics;

namespace SafeAlign.Native;

/// <summary>The process's peak resident memory, with a reset where the OS offers one.</summary>
/// <remarks>
/// Linux keeps a high-water mark of resident memory (<c>VmHWM</c> in /proc/self/status, which
/// <see cref="Process.PeakWorkingSet64"/> reads) and sets it back to the current resident size when "5" is written to
/// /proc/self/clear_refs. The experiment runner resets it before each alignment, so a grid that aligns with several
/// defenses in one process reports each one's peak, not the largest so far. Elsewhere the reset does nothing and the
/// peak stays the process's.
/// </remarks>
internal static class PeakMemory
{
    /// <summary>Sets the peak back to the current resident size; false where that is not possible.</summary>
    public static bool Reset()
    {
        if (!OperatingSystem.IsLinux())
            return false;
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return false; // e.g. a read-only /proc in a sandbox
        }
    }

    /// <summary>The peak resident memory in bytes since the process started or the last successful <see cref="Reset"/>.</summary>
    public static long PeakBytes()
    {
        using var process = Process.GetCurrentProcess();
        return process.PeakWorkingSet64;
    }
}
