
namespace Microsoft.ML.Agd.Tests.Search;

/// <summary>The search across ranks promotes as ASHA does, without waiting for a rung's other trials.</summary>
[TestClass]
public class AsynchronousHalvingTests
{
    private static AgdConfiguration Fcn(int width) => new(AgdArchitecture.Fcn, 2, width, 0, null);

    private static readonly AgdConfiguration ResNet = new(AgdArchitecture.ResNet18, 0, 0, 8, null);

    // Four FCNs and a ResNet; rank 0 owns 0, 2 and 4, rank 1 owns 1 (the ResNet) and 3. Rungs of 0.5, 1, 2, 4 ... epochs; families meet at rung 2 (2 epochs).
    private static readonly AgdConfiguration[] Configurations = [Fcn(32), ResNet, Fcn(64), Fcn(128), Fcn(256)];

    private static AsynchronousHalving Rank(int rank) => new(Configurations, 2, rank, rung => 0.5 * Math.Pow(2, rung), meetAt: 2);

    [TestMethod]
    public void ARankPromotesOnceItsTrialIsInTheBetterHalfOfItsRungSoFar()
    {
        var zero = Rank(0);
        Assert.AreEqual((0, 0), zero.Next());
        zero.Record(0, 0, 0.70);
        Assert.AreEqual((2, 0), zero.Next(), "One FCN result of four: none is in the better half yet, so a new configuration starts.");
        zero.Record(2, 0, 0.60);
        Assert.AreEqual((0, 1), zero.Next(), "Better than the other of two results: promoted without waiting for the rung's other two.");
        zero.Record(0, 1, 0.75);
        Assert.AreEqual((4, 0), zero.Next(), "Alone at rung 1, and configuration 2 is in the worse half of rung 0: the last new one starts.");
        zero.Record(3, 0, 0.65); // heard from rank 1
        zero.Record(4, 0, 0.90);
        Assert.AreEqual((4, 1), zero.Next());
        zero.Record(4, 1, 0.80);
        Assert.AreEqual((4, 2), zero.Next(), "The better of rung 1's two FCN results.");
        zero.Record(4, 2, 0.85);
        Assert.IsNull(zero.Next(), "The families meet at rung 2, where the ResNet has no result yet; nothing else is in a better half, and every configuration has started.");
        Assert.AreEqual((4, 2), zero.Best(), "The highest rung this rank reached, to train on.");
    }

    [TestMethod]
    public void AFamilyOfOneGoesOnUntilTheFamiliesMeetThenTheBetterHalfOfBoth()
    {
        var one = Rank(1);
        Assert.AreEqual((1, 0), one.Next(), "Rank 1's first configuration, the ResNet.");
        one.Record(1, 0, 0.40);
        Assert.AreEqual((1, 1), one.Next(), "Alone in its family, it is its family's better half at once, however it compares with the FCNs.");
        one.Record(1, 1, 0.50);
        Assert.AreEqual((1, 2), one.Next());
        one.Record(1, 2, 0.60);
        Assert.AreEqual((3, 0), one.Next(), "Rung 2 compares families, and one of the two that can reach it has a result: the ResNet waits and rank 1 starts its FCN.");
        one.Record(3, 0, 0.30);
        one.Record(4, 2, 0.80); // rank 0's best FCN reaches the meeting
        Assert.IsNull(one.Next(), "The FCN won the meeting; rank 1's FCN is alone at rung 0 so far, so not in a better half.");
        Assert.AreEqual((1, 2), one.Best());
        Assert.AreEqual(0, one.OwnerOf(4));
        Assert.AreEqual(1, one.OwnerOf(3));
    }

    [TestMethod]
    public void AFailedTrialIsNeitherPromotedNorTriedAgain()
    {
        var zero = Rank(0);
        zero.Next();
        zero.Record(0, 0, null);
        zero.Next();
        zero.Record(2, 0, 0.6);
        zero.Next();
        zero.Record(4, 0, 0.5);
        zero.Record(3, 0, 0.4);
        Assert.AreEqual((2, 1), zero.Next(), "The best of three FCN results is in their better half.");
        Assert.AreEqual((4, 1), zero.Next(), "Rung 0 has finished (the failed trial too), so the better half of its three results goes on, rounding up, as in one process.");
        Assert.IsNull(zero.Next(), "The failed configuration is neither promoted nor tried again.");
        Assert.AreEqual((2, 0), zero.Best());
    }
}
