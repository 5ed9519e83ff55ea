using Microsoft.ML.Agd.Samples.Language;

namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>
/// A language-model folder is as safe as an image model folder: every file that changes what the model does is covered
/// by its checksum, so a changed byte is a named error or changes nothing the model does.
/// </summary>
[DoNotParallelize]
[TestClass]
public class LanguageModelIntegrityTests
{
    private static (TinyData Data, LanguageModelFolder Folder) Copy()
    {
        var data = new TinyData();
        string copy = Directory.CreateDirectory(data.Path("lm")).FullName;
        foreach (string file in Directory.GetFiles(TinyLanguageModel.Folder))
            File.Copy(file, Path.Combine(copy, Path.GetFileName(file)));
        return (data, new LanguageModelFolder(copy));
    }

    // 60 tokens from "ab" at temperature 1, seed 4: the same model gives the same text.
    private static string Generate(LanguageModelFolder folder)
    {
        var (model, tokenizer, _) = folder.Load();
        return tokenizer.Decode(TextGeneration.Continue(model, tokenizer.Encode("ab"), 60, 1.0, seed: 4));
    }

    [TestMethod]
    [DataRow("swapped")]
    [DataRow("edited")]
    public void CharactersEditedInModelJsonAreNamed(string edit)
    {
        var (data, folder) = Copy();
        using var _ = data;
        string json = folder.File("model.json");
        string text = File.ReadAllText(json);
        string changed = edit == "swapped" ? text.Replace("\"a\"", "\"@\"").Replace("\"b\"", "\"a\"").Replace("\"@\"", "\"b\"") : text.Replace("\"c\"", "\"z\"");
        Assert.AreNotEqual(text, changed);
        File.WriteAllText(json, changed);

        var e = Assert.ThrowsExactly<InvalidDataException>(() => folder.Load());
        StringAssert.Contains(e.Message, $"The language-model folder '{folder.Path}' is damaged: model.bin or model.json cannot be used because their checksum differs");
        var (code, printed) = Cli.Run("lm", "generate", "-m", folder.Path, "--prompt", "ab");
        Assert.AreEqual(1, code, printed);
    }

    [TestMethod]
    [DataRow("Width", "its weights do not have the shape model.json records")]
    [DataRow("WidthHuge", "model.bin cannot be used because it holds")]
    [DataRow("Layers", "its weights do not have the shape model.json records")]
    [DataRow("Context", "its weights do not have the shape model.json records")]
    [DataRow("CharacterTwice", "its Characters holds 'b' twice")]
    [DataRow("CharacterPair", "its Characters holds 'ab', which is not one character")]
    [DataRow("Tokenizer", "its Tokenizer is 'bpe', and agd writes char or gpt2 there")]
    public void ValuesEditedWithTheChecksumMadeToMatchAreNamed(string edit, string message)
    {
        // What the checksum cannot catch, a forger who recomputed it: each value is named before it is used.
        var (data, folder) = Copy();
        using var _ = data;
        var info = System.Text.Json.JsonSerializer.Deserialize<LanguageModelInfo>(File.ReadAllText(folder.File("model.json")), ModelFolder.Json)!;
        var forged = edit switch
        {
            "Width" => info with { Width = info.Width * 2 },
            "WidthHuge" => info with { Width = int.MaxValue },
            "Layers" => info with { Layers = info.Layers + 1 },
            "Context" => info with { Context = info.Context / 2 },
            "CharacterTwice" => info with { Characters = [.. info.Characters.Select(c => c == "a" ? "b" : c)] },
            "CharacterPair" => info with { Characters = [.. info.Characters.Select(c => c == "a" ? "ab" : c)] },
            _ => info with { Tokenizer = "bpe" },
        };
        ModelFolder.WriteJson(folder.File("model.json"), forged with { Checksum = forged.ChecksumWith(folder.File("model.bin")) });
        var e = Assert.ThrowsExactly<InvalidDataException>(() => folder.Load());
        StringAssert.Contains(e.Message, $"The language-model folder '{folder.Path}' is damaged: ");
        StringAssert.Contains(e.Message, message);
    }

    [TestMethod]
    public void AFolderReplacedWhileItIsReadIsReadAgainNotCalledDamaged()
    {
        // lm generate while lm train replaces the folder: model.json read before, model.bin after. Simulated by a folder
        // whose model.json changes (as a replacement brings) between a first read that fails and the next.
        var (data, folder) = Copy();
        using var _ = data;
        string json = folder.File("model.json"), good = File.ReadAllText(json);
        File.WriteAllText(json, good.Replace("\"TrainedOn\": \"", "\"TrainedOn\": \"edited ", StringComparison.Ordinal)); // checksum no longer matches
        int reads = 0;
        var model = ModelFolder.ReadWhole(json, () =>
        {
            if (++reads == 1)
            {
                var damaged = Assert.ThrowsExactly<InvalidDataException>(() => folder.Load());
                File.WriteAllText(json, good); // the replacement lands
                throw damaged;
            }
            return folder.Load();
        });
        model.Model.Dispose();
        Assert.AreEqual(2, reads);
        // A folder that stays damaged is named so, after the one read.
        File.WriteAllText(json, good.Replace("\"TrainedOn\": \"", "\"TrainedOn\": \"edited ", StringComparison.Ordinal));
        StringAssert.Contains(Assert.ThrowsExactly<InvalidDataException>(() => folder.Load()).Message, "their checksum differs");
    }

    [TestMethod]
    public void AFolderWithoutAChecksumIsNamedAsFromAnEarlierAgd()
    {
        var (data, folder) = Copy();
        using var _ = data;
        string json = folder.File("model.json");
        var info = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!.AsObject();
        Assert.IsTrue(info.Remove("Checksum"));
        File.WriteAllText(json, info.ToJsonString());
        var e = Assert.ThrowsExactly<InvalidDataException>(() => folder.Load());
        StringAssert.Contains(e.Message, "model.json cannot be used because it records no checksum (it was written by an earlier agd, or edited)");
    }

    [TestMethod]
    public void RandomByteChangesEndInANamedErrorOrTheSameText()
    {
        var (data, folder) = Copy();
        using var _ = data;
        string intact = Generate(folder);
        var random = new Random(20261206);
        // model.json is where the shape and the tokenizer are: most changes go there. One change to the weights shows they are covered too.
        foreach (var (file, count) in new[] { ("model.json", 120), ("model.bin", 5) })
        {
            var (named, same) = ByteFuzz.Run<InvalidDataException>(folder.File(file), count, random,
                at => Assert.AreEqual(intact, Generate(folder), $"{file}: byte {at} changed, and the model loaded and generated other text"),
                (e, at) => StringAssert.Contains(e.Message, $"The language-model folder '{folder.Path}' is damaged", $"{file}: byte {at}"));
            Assert.IsTrue(named > 0, $"{file}: some changes are named ({named} named, {same} the same)");
        }
    }
}
