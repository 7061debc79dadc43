using SafeAlign.Models;
using SafeAlign.Native;
using SafeAlign.Tests.Models;
using SafeAlign.Tests.Training;
using SafeAlign.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace SafeAlign.Tests.Native;

// Long tensor work runs on a thread that ends with it, so no OpenMP team outlives it on the caller's thread.
public sealed class ComputeThreadTests
{
    [Fact]
    public void Run_FromAPlainThread_RunsOnAComputeThreadThatEnds()
    {
        Thread? worker = null;
        int result = ComputeThread.Run(() =>
        {
            worker = Thread.CurrentThread;
            Assert.True(ComputeThread.IsCurrent);
            return 42;
        });

        Assert.Equal(42, result);
        Assert.NotNull(worker);
        Assert.NotSame(Thread.CurrentThread, worker);
        Assert.False(worker!.IsAlive);
        Assert.False(ComputeThread.IsCurrent);
    }

    [Fact]
    public async Task RunAsync_TheCallersContinuation_RunsOffTheComputeThread_WhichEnds()
    {
        // Awaited from the thread pool, where no synchronization context posts the continuation: as the library awaits.
        var (worker, continuation, onCompute) = await Task.Run(async () =>
        {
            Thread? ran = null;
            // The work outlasts the await's registration, so the task completes on the compute thread.
            await ComputeThread.RunAsync(() =>
            {
                Thread.Sleep(200);
                return ran = Thread.CurrentThread;
            }, CancellationToken.None);
            return (ran!, Thread.CurrentThread, ComputeThread.IsCurrent);
        });

        // A continuation run inline on the compute thread would keep it (and its OpenMP team) alive through the caller's next job.
        Assert.NotSame(worker, continuation);
        Assert.False(onCompute);
        Assert.True(worker.Join(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public void Run_And_RunAsync_OnAComputeThread_StayOnIt()
    {
        var (outer, inner, innerAsync) = ComputeThread.Run(() =>
        {
            var nested = ComputeThread.Run(() => Thread.CurrentThread);
            var task = ComputeThread.RunAsync(() => Thread.CurrentThread, CancellationToken.None);
            Assert.True(task.IsCompletedSuccessfully);
            return (Thread.CurrentThread, nested, task.Result);
        });

        Assert.Same(outer, inner);
        Assert.Same(outer, innerAsync);
    }

    [Fact]
    public async Task Run_And_RunAsync_PassOnTheWorksException()
    {
        var error = Assert.Throws<InvalidOperationException>(() => ComputeThread.Run<int>(() => throw new InvalidOperationException("boom")));
        Assert.Equal("boom", error.Message);
        Assert.Contains(nameof(Run_And_RunAsync_PassOnTheWorksException), error.StackTrace);

        await Assert.ThrowsAsync<InvalidOperationException>(() => ComputeThread.RunAsync<int>(() => throw new InvalidOperationException("boom"), CancellationToken.None));
        var inline = ComputeThread.Run(() => ComputeThread.RunAsync<int>(() => throw new InvalidOperationException("inline"), CancellationToken.None));
        Assert.True(inline.IsFaulted);
        Assert.Equal("inline", inline.Exception!.InnerException!.Message);
    }

    [Fact]
    public void RunAsync_WithACancelledToken_IsCancelled_OnAndOffAComputeThread()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        bool ran = false;

        var off = ComputeThread.RunAsync(() => ran = true, cancelled.Token);
        var on = ComputeThread.Run(() => ComputeThread.RunAsync(() => ran = true, cancelled.Token));

        Assert.True(on.IsCanceled);
        Assert.Throws<AggregateException>(() => off.Wait());
        Assert.True(off.IsCanceled);
        Assert.False(ran);
    }

    [Fact]
    public void TrainerRun_CalledFromATestThread_StepsOnAComputeThread()
    {
        using var model = TinyModels.Create(seed: 5);
        var step = new ThreadRecordingStep();

        var report = new Trainer(new TrainerOptions { BatchSize = 4, MaxSteps = 2, LogEvery = 1 }).Run(model, TrainerTests.CopyTask(8), step);

        Assert.Equal(2, report.Steps);
        Assert.NotEmpty(step.Threads);
        Assert.All(step.Threads, t => Assert.NotSame(Thread.CurrentThread, t));
        Assert.Single(step.Threads.Distinct());
        Assert.False(step.Threads[0].IsAlive);
    }

    [Fact]
    public void ParameterSnapshot_TakesAndRestores_OffTheCallersThread()
    {
        using var model = TinyModels.Create(seed: 5);
        var parameters = model.parameters().ToList();
        DisposeScopeManager.Statistics.Reset();

        using var snapshot = ParameterSnapshot.OfWeights(parameters);
        snapshot.RestoreInto(parameters);

        // Tensor statistics are per thread: the copies were made (and written back) on another one.
        Assert.Equal(parameters.Count, snapshot.Tensors.Count);
        Assert.Equal(0, DisposeScopeManager.Statistics.CreatedOutsideScopeCount + DisposeScopeManager.Statistics.CreatedInScopeCount);
    }

    private sealed class ThreadRecordingStep : ITrainingStep
    {
        public List<Thread> Threads { get; } = [];

        public Tensor Step(CausalLM model, TrainingBatch batch, StepContext context)
        {
            Assert.True(ComputeThread.IsCurrent);
            Threads.Add(Thread.CurrentThread);
            return SupervisedStep.Instance.Step(model, batch, context);
        }
    }
}
