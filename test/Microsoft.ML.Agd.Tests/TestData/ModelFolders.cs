namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>Model folders as tests make and compare them: a small trained one, its files byte by byte, and folders root cannot write.</summary>
internal static class ModelFolders
{
    /// <summary>Trains a small FCN on the tiny IDX data into <paramref name="output"/> with agd train.</summary>
    public static string TrainTiny(TinyData data, string output, int epochs = 3)
    {
        Assert.AreEqual(0, Program.Run(["train", "--data", data.IdxFolder(), "--epochs", $"{epochs}", "--width", "16", "--output", output]));
        return output;
    }

    /// <summary>A small trained model in data's folder "model", and its files' bytes, to compare with after a failed run.</summary>
    public static (string Output, Dictionary<string, byte[]> Before) EarlierModel(TinyData data)
    {
        string output = TrainTiny(data, data.Path("model"));
        return (output, Snapshot(output));
    }

    /// <summary>The label and the best three classes' scores, to the last digit, as agd predict gives them for one image.</summary>
    public static string Predict(string model, string image)
    {
        var p = PredictJob.Run(new ModelFolder(model, "-m"), [image], top: 3).Single();
        return $"{p.Label}: {string.Join(", ", p.Top.Select(t => $"{t.Class} {t.Score:R}"))}";
    }

    /// <summary>Every file below a folder, by relative path, with its bytes.</summary>
    public static Dictionary<string, byte[]> Snapshot(string folder)
        => Directory.GetFiles(folder, "*", SearchOption.AllDirectories).ToDictionary(f => Path.GetRelativePath(folder, f), File.ReadAllBytes);

    /// <summary>Asserts that a folder holds exactly the files of a snapshot, byte for byte.</summary>
    public static void AssertUnchanged(Dictionary<string, byte[]> before, string folder)
    {
        var after = Snapshot(folder);
        CollectionAssert.AreEquivalent(before.Keys.ToList(), after.Keys.ToList());
        foreach (var (file, bytes) in before)
            CollectionAssert.AreEqual(bytes, after[file], file);
    }

    /// <summary>
    /// Makes a folder refuse changes until disposed: immutable (chattr +i) for root, whom permissions do not stop; mode
    /// 555 for anyone else. Inconclusive where neither can be done.
    /// </summary>
    public static IDisposable ReadOnly(string folder)
    {
        bool root = Environment.UserName == "root";
        if (!Command(root ? "chattr" : "chmod", root ? "+i" : "555", folder))
            Assert.Inconclusive($"'{folder}' cannot be made read-only here ({(root ? "chattr +i" : "chmod 555")} failed), so the refusal of such a folder is not tested.");
        return new Undo(() => Command(root ? "chattr" : "chmod", root ? "-i" : "755", folder));
    }

    private static bool Command(string name, params string[] args)
    {
        using var process = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo(name, args) { RedirectStandardError = true })!;
        process.WaitForExit();
        return process.ExitCode == 0;
    }

    private sealed class Undo(Action undo) : IDisposable
    {
        public void Dispose() => undo();
    }
}
