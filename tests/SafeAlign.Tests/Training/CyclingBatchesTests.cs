using SafeAlign.Tokenization;
using SafeAlign.Training;
using TorchSharp;

namespace SafeAlign.Tests.Training;

public sealed class CyclingBatchesTests
{
    // Five rows sharing a two-token head; row i's third token is 10 + i, so a batch's rows can be told apart.
    private static List<TokenizedExample> Rows() =>
        Enumerable.Range(0, 5).Select(i => new TokenizedExample([4, 8, 10 + i, 2], [-100, -100, 10 + i, 2])).ToList();

    [Fact]
    public void EachPassVisitsEveryRowOnce_AndTheSameSeedRepeatsTheStream()
    {
        var first = new CyclingBatches(Rows(), batchSize: 2, padTokenId: 0, maxLength: null, seed: 3);
        var second = new CyclingBatches(Rows(), batchSize: 2, padTokenId: 0, maxLength: null, seed: 3);
        var pass = Enumerable.Range(0, 3).SelectMany(_ => first.NextExamples()).Select(e => e.InputIds[2]).ToList();   // 2 + 2 + 1

        Assert.Equal([10, 11, 12, 13, 14], pass.Order());
        Assert.Equal(pass, Enumerable.Range(0, 3).SelectMany(_ => second.NextExamples()).Select(e => e.InputIds[2]));
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(true, 2)]
    public void SharePrefix_MarksTheRowsCommonHead(bool sharePrefix, int expected)
    {
        using var scope = torch.NewDisposeScope();
        var stream = new CyclingBatches(Rows(), batchSize: 3, padTokenId: 0, maxLength: null, seed: 1, sharePrefix: sharePrefix);

        var batch = stream.Next(torch.CPU);

        Assert.Equal(3, batch.InputIds.shape[0]);
        Assert.Equal(expected, batch.SharedPrefixLength);
    }
}
