using System.Text.RegularExpressions;
using Microsoft.ML.Agd.Tests.Packaging;

namespace Microsoft.ML.Agd.Tests;

/// <summary>The library's folders use each other one way only, and its core knows nothing of ML.NET or of native workarounds.</summary>
[TestClass]
public partial class ArchitectureTests
{
    private static readonly string[] s_core = ["Models", "Onnx", "Optim", "Training"];

    // Folder -> the library folders its files name, by a using or by a qualified name such as Optim.AgdStepNorm or
    // Microsoft.ML.Agd.Optim.AgdStepNorm ("" is the root namespace).
    private static Dictionary<string, HashSet<string>> Uses(out Dictionary<string, List<string>> otherUsings)
    {
        string library = Path.Combine(DotNet.RepositoryRoot, "src", "Microsoft.ML.Agd");
        var uses = new Dictionary<string, HashSet<string>>();
        otherUsings = [];
        foreach (string file in Directory.GetFiles(library, "*.cs", SearchOption.AllDirectories).Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")))
        {
            string relative = Path.GetRelativePath(library, file);
            string folder = relative.Contains(Path.DirectorySeparatorChar) ? relative.Split(Path.DirectorySeparatorChar)[0] : "";
            var mine = uses.TryGetValue(folder, out var set) ? set : uses[folder] = [];
            var others = otherUsings.TryGetValue(folder, out var list) ? list : otherUsings[folder] = [];
            foreach (Match m in Using().Matches(File.ReadAllText(file)))
            {
                string name = m.Groups[1].Value;
                if (name == "Microsoft.ML.Agd" || name.StartsWith("Microsoft.ML.Agd.", StringComparison.Ordinal))
                {
                    string target = name == "Microsoft.ML.Agd" ? "" : name["Microsoft.ML.Agd.".Length..];
                    if (target != folder)
                        mine.Add(target);
                }
                else
                    others.Add($"{relative}: {name}");
            }
            foreach (Match m in QualifiedName().Matches(File.ReadAllText(file)))
                if (m.Groups[1].Value != folder)
                    mine.Add(m.Groups[1].Value);
        }
        return uses;
    }

    [TestMethod]
    public void NoTwoFoldersUseEachOther()
    {
        var uses = Uses(out _);
        // Depth-first search for a cycle; the path is the message.
        var state = new Dictionary<string, int>();
        string? Cycle(string folder, List<string> path)
        {
            state[folder] = 1;
            path.Add(folder);
            foreach (string next in uses.GetValueOrDefault(folder) ?? [])
            {
                if (state.GetValueOrDefault(next) == 1)
                    return string.Join(" -> ", path.Append(next).Select(f => f.Length == 0 ? "(root)" : f));
                if (state.GetValueOrDefault(next) == 0 && Cycle(next, path) is { } found)
                    return found;
            }
            path.RemoveAt(path.Count - 1);
            state[folder] = 2;
            return null;
        }
        foreach (string folder in uses.Keys)
            if (state.GetValueOrDefault(folder) == 0 && Cycle(folder, []) is { } cycle)
                Assert.Fail($"Folders use each other: {cycle}");
    }

    [TestMethod]
    public void TheCoreUsesNeitherTheFaceNorMLNetNorNativeWorkarounds()
    {
        var uses = Uses(out var otherUsings);
        foreach (string folder in s_core)
        {
            var face = uses[folder].Except(s_core).ToList();
            Assert.AreEqual(0, face.Count, $"{folder} uses {string.Join(", ", face.Select(f => f.Length == 0 ? "(root)" : f))}");
            var mlNet = otherUsings[folder].Where(u => u.EndsWith(": Microsoft.ML", StringComparison.Ordinal) || u.Contains(": Microsoft.ML.", StringComparison.Ordinal)).ToList();
            Assert.AreEqual(0, mlNet.Count, string.Join("; ", mlNet));
        }
    }

    [TestMethod]
    public void AQualifiedNameIsAUseToo()
    {
        // Check.cs once named Optim.AgdStepNorm with no using, a Models -> Optim edge that a reading of usings missed.
        var names = QualifiedName().Matches("Optim.AgdStepNorm x; Microsoft.ML.Agd.Models.Fcn y; TorchSharp.Modules.Parameter z; Microsoft.ML.Data.VBuffer w; torch.optim.Adam v;")
            .Select(m => m.Groups[1].Value).ToList();
        CollectionAssert.AreEqual(new[] { "Optim", "Models" }, names);
    }

    [TestMethod]
    public void TheCoreNamesOfTheRootNamespaceOnlyItsEnums()
    {
        // Files of Microsoft.ML.Agd.X see Microsoft.ML.Agd's types without a using: look for the types' names instead.
        // The enums a trainer user sets (AgdLoss, AgdStepNorm) live in the namespace the user imports; being enums, they
        // bring nothing of the face with them.
        string library = Path.Combine(DotNet.RepositoryRoot, "src", "Microsoft.ML.Agd");
        var rootTypes = Directory.GetFiles(library, "*.cs").SelectMany(f => TypeDeclaration().Matches(File.ReadAllText(f)))
            .Where(m => m.Groups[1].Value != "enum").Select(m => m.Groups[2].Value).ToHashSet();
        Assert.IsTrue(rootTypes.Contains("AgdImageClassificationTrainer"), "the root's types were found");
        Assert.IsFalse(rootTypes.Contains("AgdLoss"), "enums are told apart");
        foreach (string folder in s_core)
            foreach (string file in Directory.GetFiles(Path.Combine(library, folder), "*.cs"))
            {
                var named = rootTypes.Where(t => Regex.IsMatch(File.ReadAllText(file), $@"\b{t}\b")).ToList();
                Assert.AreEqual(0, named.Count, $"{folder}/{Path.GetFileName(file)} names {string.Join(", ", named)}");
            }
    }

    // A top-level type: a nested one (AgdImageClassificationTrainer.Options) is only ever named through its parent.
    [GeneratedRegex(@"^(?:(?:public|internal|private|sealed|static|abstract|readonly|partial) )*(class|record|enum|interface|struct)(?: struct)? (\w+)", RegexOptions.Multiline)]
    private static partial Regex TypeDeclaration();

    // A library folder's namespace named before a type: on its own (not after another name, as TorchSharp.Modules or
    // Microsoft.ML.Data are) or after Microsoft.ML.Agd.
    [GeneratedRegex(@"(?:(?<![\w.])|Microsoft\.ML\.Agd\.)(Models|Optim|Training|Onnx|Native|Data|Search)\.[A-Z]")]
    private static partial Regex QualifiedName();

    [GeneratedRegex(@"^using (?:static )?([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex Using();
}
