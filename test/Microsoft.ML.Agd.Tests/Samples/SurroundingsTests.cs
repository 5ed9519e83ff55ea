using System.Diagnostics;
using Microsoft.ML.Agd.Samples.Language;

namespace Microsoft.ML.Agd.Tests.Samples;

/// <summary>agd started from odd shells: closed standard streams, a deleted working folder, another locale.</summary>
[TestClass]
[TestCategory("Integration")]
public class SurroundingsTests
{
    // Runs a bash line in a fresh folder, with TMPDIR its tmp/ and "$A" the agd command; returns the exit code and what it printed.
    private static (int Code, string Output, string[] LeftInTmp) Shell(TinyData data, string line, params (string Name, string Value)[] environment)
    {
        Directory.CreateDirectory(data.Path("tmp"));
        var start = new ProcessStartInfo("bash", ["-c", line]) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = data.Root };
        start.Environment["A"] = $"dotnet {Cli.AgdDll}";
        start.Environment["TMPDIR"] = data.Path("tmp");
        foreach (var (name, value) in environment)
            start.Environment[name] = value;
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output + error.Result, Directory.GetFileSystemEntries(data.Path("tmp")));
    }

    // Each bash line ends with exit code 1, prints its expected error, and leaves nothing in the temporary folder.
    private static void AssertEachRefusedByName(TinyData data, params (string Line, string Expected)[] cases)
    {
        foreach (var (line, expected) in cases)
        {
            var (code, output, left) = Shell(data, line);
            Assert.AreEqual(1, code, output);
            StringAssert.Contains(output, expected);
            Assert.AreEqual(0, left.Length, string.Join(", ", left));
        }
    }

    [TestMethod]
    public void AClosedStandardOutputIsNamedAndAClosedStandardErrorEndsWithTheErrorsCode()
    {
        using var data = new TinyData();
        var (code, output, left) = Shell(data, "$A evaluate -m none >&-");
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(output, "error: agd's standard output is closed (>&-), so what it prints would be lost: send it to a file or to /dev/null instead (> out.txt).");
        Assert.AreEqual(0, left.Length, string.Join(", ", left));

        (code, output, left) = Shell(data, "$A evaluate -m none 2>&-");
        Assert.AreEqual(1, code, $"the error's code, not an abort (134):\n{output}");
        Assert.AreEqual(0, left.Length, string.Join(", ", left));
    }

    [TestMethod]
    public void ADeletedWorkingFolderIsNamedBeforeAnythingLoads()
    {
        using var data = new TinyData();
        string folder = data.IdxFolder();
        var (code, output, left) = Shell(data, $"mkdir gone && cd gone && rmdir ../gone && $A train --data '{folder}' -e 1 -o '{data.Path("out")}'");
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(output, "error: the working folder no longer exists (it was deleted after this shell entered it), so relative paths name nothing: cd to a folder that exists and run agd again.");
        Assert.AreEqual(0, left.Length, string.Join(", ", left));
        Assert.IsFalse(Directory.Exists(data.Path("out")));
    }

    [TestMethod]
    public void ANativeCopyThatANoexecFileSystemCannotLoadGoesElsewhereOrIsNamed()
    {
        // On this system libtorch is loaded from a copy written to HOME's local data, else TMPDIR: a file system mounted
        // noexec takes the copy but cannot map it. Needs root, as CI has, for the mounts.
        using var data = new TinyData();
        string train = $"$A train --data '{data.IdxFolder()}' -e 1 --width 8 --depth 2";
        string mount = "mkdir -p h t && mount -t tmpfs -o noexec,size=128m tmpfs h && mount -t tmpfs -o noexec,size=128m tmpfs t";
        var (code, output, _) = Shell(data, $"{mount} && HOME=$PWD/h {train} -o one; rc=$?; umount h t; exit $rc");
        Assert.AreEqual(0, code, output);
        (code, output, _) = Shell(data, $"{mount} && HOME=$PWD/h TMPDIR=$PWD/t {train} -o two; rc=$?; umount h t; exit $rc");
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(Cli.Unwrapped(output), "error: libtorch's CPU library is loaded from a copy marked for this CPU, and no place for the copy could be written and loaded (");
        StringAssert.Contains(Cli.Unwrapped(output), "the copy could not be loaded from there (");
        StringAssert.Contains(Cli.Unwrapped(output), "Set HOME or TMPDIR to a folder this user can write, on a file system that allows programs (not mounted noexec).");
        Assert.IsFalse(Directory.Exists(data.Path("two")), output);
    }

    [TestMethod]
    [DoNotParallelize] // Cli.Run swaps the process's console: another test's progress display would write to this one's
    public void AnArgumentThatStartsWithAnAtSignIsAFileNotAResponseFile()
    {
        using var data = new TinyData();
        string images = data.ImageFolder(perClass: 4);
        Assert.AreEqual(0, Cli.Run("train", "--data", images, "-e", "1", "--width", "16", "--image-size", "8", "-o", data.Path("model")).Code);
        File.Copy(Directory.GetFiles(Directory.GetDirectories(images)[0])[0], data.Path("@photo.png"));
        var (code, output, _) = Shell(data, "$A predict -m model @photo.png");
        Assert.AreEqual(0, code, output);
        StringAssert.Contains(output, "@photo.png");
    }

    [TestMethod]
    public void AnEmptyDataPathARelativeLinkLoopAndADecimalCommaAreNamed()
    {
        using var data = new TinyData();
        AssertEachRefusedByName(data,
            ("$A train --data '' -e 1 -o out", "error: --data is empty: give a data folder"),
            ("ln -s loop loop; $A train --data loop -e 1 -o out", "error: --data 'loop' is a symbolic link that leads round to itself (too many levels of symbolic links)"),
            ($"$A train --data '{data.IdxFolder()}' --test-fraction 0,5 -e 1 -o out", "error: --test-fraction takes a number such as 0.5, not '0,5'."),
            ("$A lm generate -m none -p 'The ' --temperature 0,5", "error: --temperature takes a number such as 0.5, not '0,5'."));
        Assert.IsFalse(Directory.Exists(data.Path("out")));
    }

    [TestMethod]
    public void ATemporaryFolderThatFillsDuringTrainingIsNamedWithItsFix()
    {
        // The run's folder fits, the network's ONNX copy does not. Needs root, as CI has, for the mount.
        using var data = new TinyData();
        var (code, output, _) = Shell(data, $"mkdir full && mount -t tmpfs -o size=1m tmpfs full && dd if=/dev/zero of=full/x bs=4k 2>/dev/null; " +
            $"TMPDIR=$PWD/full $A train --data '{data.IdxFolder()}' -e 1 --width 16 --depth 2 -o out; rc=$?; umount full; exit $rc");
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(Cli.Unwrapped(output), $"error: The temporary folder '{data.Path("full")}/' is full (No space left on device); free space there, or set TMPDIR to a folder on another disk.");
    }

    [TestMethod]
    public void LinkLoopsAnEmptyImagePathAndADeviceInATextFolderAreNamed()
    {
        using var data = new TinyData();
        AssertEachRefusedByName(data,
            ("ln -s lp lp; $A train --config lp -o out", "error: 'lp' is a symbolic link that leads round to itself (too many levels of symbolic links, through 'lp')"),
            ("ln -s b a; ln -s a b; $A lm train --config a -o out", "error: 'a' is a symbolic link that leads round to itself (too many levels of symbolic links, through 'b')"),
            // A folder of texts that links one to a device: the device is named, not skipped (the run would train on the rest).
            ("mkdir tf; echo 'To be, or not to be' > tf/a.txt; ln -s /dev/zero tf/b.txt; $A lm train -t tf -i 2 -o out", "/tf/b.txt' is a character device, not a regular file"));
        Assert.IsFalse(Directory.Exists(data.Path("out")));
        var empty = Assert.ThrowsExactly<FileNotFoundException>(() => ImageDecoder.Check(""));
        Assert.AreEqual("An image's path is empty (''); give image files.", empty.Message);
    }

    [TestMethod]
    public void AFullStandardOutputAFewOpenFilesAndAMissingTemporaryFolderAreNamed()
    {
        using var data = new TinyData();
        string idx = data.IdxFolder();
        AssertEachRefusedByName(data,
            ($"$A train --data '{idx}' -e 1 -o out > /dev/full", "error: agd's standard output cannot be written (No space left on device), so what it prints would be lost"),
            ($"ulimit -n 64; $A train --data '{idx}' -e 1 -o out", "error: agd may open only 64 files at once (ulimit -n 64), and the .NET runtime, libtorch and ONNX Runtime need at least 256"),
            ($"TMPDIR=\"$PWD/missing\" $A train --data '{idx}' -e 1 -o out", "/missing/' cannot be written: it does not exist; set TMPDIR to a folder that does."),
            ($"TMPDIR=\"$PWD/tmp\"$'\\xff' $A train --data '{idx}' -e 1 -o out", "TMPDIR holds bytes that are not UTF-8 (shown as \uFFFD); set TMPDIR to a folder of a UTF-8 name."));
        Assert.IsFalse(Directory.Exists(data.Path("missing")), "a missing temporary folder is not made");
        // A soft limit below the hard one is raised, as any process may; and libtorch says nothing on stderr (NNPACK's
        // failure to initialise was said at every convolution of the self-test).
        var (raised, printed, _) = Shell(data, $"ulimit -S -n 64; $A train --data '{idx}' -e 1 --width 8 -o out 2>&1 >/dev/null");
        Assert.AreEqual(0, raised, printed);
        Assert.AreEqual("", printed);
    }

    [TestMethod]
    public void ATextFolderReadsALinkToAFileElsewhereAndALinkToItsOwnFileOnce()
    {
        using var data = new TinyData();
        string folder = data.Path("texts"), elsewhere = data.Path("elsewhere.txt");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "fortunes"), "one");
        File.CreateSymbolicLink(Path.Combine(folder, "fortunes.u8"), "fortunes"); // as Debian's fortunes link their twins
        File.WriteAllText(elsewhere, "two");
        File.CreateSymbolicLink(Path.Combine(folder, "more.txt"), elsewhere);
        Assert.AreEqual("one\ntwo", TextCorpus.Read(folder));
    }

    [TestMethod]
    [DataRow("de_DE.UTF-8")]
    [DataRow("fr_FR.UTF-8")]
    public void NumbersAreReadAsWrittenInEveryLocale(string locale)
    {
        // In German 0.25 would be read as 25 ("It was 25"), in French refused: the value is named as given.
        using var data = new TinyData();
        var (code, output, _) = Shell(data, $"$A train --data '{data.IdxFolder()}' --test-fraction 1.25 -o out", ("LANG", locale), ("LC_ALL", locale));
        Assert.AreEqual(1, code, output);
        StringAssert.Contains(Cli.Unwrapped(output), "It was 1.25.");
    }
}
