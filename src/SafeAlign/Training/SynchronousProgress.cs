namespace SafeAlign.Training;

/// <summary>
/// An <see cref="IProgress{T}"/> that calls its handler on the reporting thread, in order. <see cref="Progress{T}"/>
/// posts each report to the thread pool (or a captured context), so reports can arrive late, out of order, or after the
/// operation returned; long SafeAlign calls report from their worker thread, and a caller relaying or logging them wants
/// them as they happen.
/// </summary>
/// <typeparam name="T">The report type.</typeparam>
/// <param name="handler">Called with every report, synchronously.</param>
public sealed class SynchronousProgress<T>(Action<T> handler) : IProgress<T>
{
    private readonly Action<T> _handler = handler ?? throw new ArgumentNullException(nameof(handler));

    /// <inheritdoc />
    public void Report(T value) => _handler(value);
}
