using System.Runtime.InteropServices;
using System.Text.RegularExpressions;

namespace Microsoft.ML.Agd.Samples.Jobs;

/// <summary>Checks, before any data is read, that a verb's output folder can be written: the path is given, names no file, and takes files.</summary>
internal static unsafe partial class OutputFolder
{
    // The longest file or folder name, in bytes, that Linux's file systems (and NTFS's 255 characters) take.
    private const int MaxNameBytes = 255;

    // The longest path Linux takes (PATH_MAX, the terminating zero included), and what a staging folder's name and a file
    // in it add to the folder's path (AtomicFolder.Beside: about 50 bytes; the longest file name agd writes: about 40).
    private const int MaxPathBytes = 4095, StagingBytes = 100;

    /// <summary>
    /// The folder's full path, without a trailing separator; a symbolic link is followed to the folder it names, so that
    /// a new folder takes that folder's place and the link goes on naming it.
    /// </summary>
    /// <param name="path">The path as the user gave it.</param>
    /// <param name="option">The option that gave it (-o, -m), for the message.</param>
    /// <exception cref="ArgumentException">The path is empty, has a name longer than a file system takes, names the file system's root, or is a link to nothing.</exception>
    public static string Normalize(string? path, string option)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new ArgumentException($"The folder given to {option} is empty; give a folder path, for example {option} my-model.", option);
        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (System.Text.Encoding.UTF8.GetByteCount(full) + StagingBytes > MaxPathBytes)
            throw new ArgumentException($"The folder given to {option} has a path of {System.Text.Encoding.UTF8.GetByteCount(full)} bytes; with the staging folder written " +
                $"beside it, that is more than the {MaxPathBytes} bytes a path may have. Give a shorter path.", option);
        if (full.Split(Path.DirectorySeparatorChar).FirstOrDefault(n => System.Text.Encoding.UTF8.GetByteCount(n) > MaxNameBytes) is { } name)
            throw new ArgumentException($"The folder given to {option} has a name of {System.Text.Encoding.UTF8.GetByteCount(name)} bytes ('{name[..40]}...'); " +
                $"a file system takes names of at most {MaxNameBytes}. Give a shorter name.", option);
        if (new DirectoryInfo(full).LinkTarget is not null)
        {
            var target = Directory.ResolveLinkTarget(full, returnFinalTarget: true);
            if (target is null || !target.Exists)
                throw new ArgumentException($"The folder given to {option} ('{full}') is a symbolic link to '{target?.FullName ?? new DirectoryInfo(full).LinkTarget}', " +
                    "which is not a folder; give a folder, or a link to one.", option);
            full = Path.TrimEndingDirectorySeparator(target.FullName);
        }
        if (Path.GetDirectoryName(full) is null)
            throw new ArgumentException($"The folder given to {option} is the root of the file system ('{full}'); give a folder inside it.", option);
        return full;
    }

    /// <summary>
    /// Checks that files can be written into <paramref name="folder"/> (made later if it does not exist yet) and, when
    /// <paramref name="replaceable"/>, that it can be replaced whole: its parent takes a new folder, and it and each
    /// folder below it take a new file (so that what is in them can be deleted).
    /// </summary>
    /// <exception cref="IOException">The folder cannot be written; the message names the option, the path and why.</exception>
    public static void CheckWritable(string folder, string option, bool replaceable = false)
    {
        if (File.Exists(folder))
            throw Unwritable(folder, option, "is a file; give a folder");
        string current = Path.TrimEndingDirectorySeparator(Environment.CurrentDirectory), physical = Physical(folder);
        if (replaceable && (current == physical || current.StartsWith(physical + Path.DirectorySeparatorChar, StringComparison.Ordinal)))
            throw Unwritable(folder, option, "is the current folder, or holds it: a new output replaces the whole folder, which would leave this shell " +
                $"in a deleted folder; give a folder of its own, for example {option} agd-output");
        string existing = Existing(folder) ?? throw Unwritable(folder, option, "is on no existing drive");
        if (AncestorFile(folder, existing) is { } file)
            throw Unwritable(folder, option, Data.InputFile.IsLinkLoop(file) ? $"lies under '{file}', a symbolic link that leads round to itself (too many levels of symbolic links)"
                : $"lies under '{file}', which is a file");
        IEnumerable<string> probed = existing != folder ? [existing]
            : replaceable ? Directory.EnumerateDirectories(folder, "*", SearchOption.AllDirectories).Prepend(folder).Prepend(Path.GetDirectoryName(folder)!)
            : [folder];
        foreach (string directory in probed)
            Probe(folder, option, directory);
    }

    /// <summary>
    /// Checks, before any training, that a folder of a known kind can be written as a whole: it can be replaced
    /// (<see cref="CheckWritable"/>) and holds nothing but the kind's own files and folders (a new one replaces all of it).
    /// Leftovers of killed runs beside it are deleted.
    /// </summary>
    /// <exception cref="IOException">The folder cannot be written or holds something else; the message names the option, the path and why.</exception>
    public static void CheckReplaceable(string folder, string option, IReadOnlyCollection<string> files, IReadOnlyCollection<string> folders, string kind)
    {
        CheckHoldsOnly(folder, option, files, folders, kind, $"a new {kind} replaces the whole folder");
        CheckWritable(folder, option, replaceable: true);
        AtomicFolder.CleanLeftovers(folder);
    }

    /// <summary>Checks that an output folder, which a new output replaces whole, does not hold what the run reads.</summary>
    /// <exception cref="IOException">It does; the message names both and what to do.</exception>
    public static void CheckHoldsNoInput(string folder, string option, string input, string kind)
    {
        string output = Physical(folder), read = Physical(Path.TrimEndingDirectorySeparator(Path.GetFullPath(input)));
        if (read == output || read.StartsWith(output + Path.DirectorySeparatorChar, StringComparison.Ordinal))
            throw new IOException($"The output folder ({option}) '{folder}' holds '{input}', which this run reads, and a new {kind} replaces the whole folder; " +
                "copy it elsewhere first, or write to another folder.");
    }

    /// <summary>
    /// Checks that a folder is new, empty, or holds nothing but a kind's own files and folders (plain ones: a link among
    /// them is foreign), so that writing the kind's files into it replaces nothing of the user's. The kind's folders are
    /// console projects it writes: their own are C# files, project files and their build's outputs (bin/, obj/).
    /// </summary>
    /// <exception cref="IOException">The folder holds something else; the message names the option, the path, what it holds and <paramref name="why"/>.</exception>
    public static void CheckHoldsOnly(string folder, string option, IReadOnlyCollection<string> files, IReadOnlyCollection<string> folders, string kind, string why)
    {
        if (!Directory.Exists(folder))
            return;
        var entries = new DirectoryInfo(folder).EnumerateFileSystemInfos().ToList();
        var foreign = entries
            .Where(e => e.LinkTarget is not null || !(e is FileInfo && (files.Contains(e.Name) || IsProbe(e))
                                                      || e is DirectoryInfo && folders.Contains(e.Name)))
            .Select(e => e is DirectoryInfo ? e.Name + "/" : e.Name)
            .Concat(entries.OfType<DirectoryInfo>().Where(d => d.LinkTarget is null && folders.Contains(d.Name))
                .SelectMany(d => d.EnumerateFileSystemInfos().Where(e => !IsProjectsOwn(e)).Select(e => $"{d.Name}/{e.Name}{(e is DirectoryInfo ? "/" : "")}")))
            .Order(StringComparer.Ordinal).ToList();
        if (foreign.Count > 0)
            throw new IOException($"The output folder ({option}) '{folder}' holds {string.Join(", ", foreign.Take(5))}{(foreign.Count > 5 ? ", ..." : "")}, " +
                $"which is not part of a {kind}, and {why}; choose a new or empty folder.");
    }

    private static bool IsProjectsOwn(FileSystemInfo entry)
        => entry.LinkTarget is null && (entry is FileInfo && entry.Extension is ".cs" or ".csproj" || entry is DirectoryInfo && entry.Name is "bin" or "obj");

    /// <summary>
    /// Writes a folder as a whole or not at all: <paramref name="write"/> fills a staging folder beside it, which then
    /// takes its place in one step (<see cref="AtomicFolder"/>). A failure or a kill leaves the earlier folder as it was.
    /// </summary>
    /// <exception cref="IOException">A file could not be written (a full disk, say); the message names it as in the folder, not the staging folder.</exception>
    public static void WriteWhole(string folder, Action<string> write)
    {
        string staging = AtomicFolder.Beside(folder, "staging");
        using var held = RunTemporaryFolder.Hold(staging); // removed even by a second Ctrl+C, which ends the process at once
        try
        {
            Directory.CreateDirectory(staging);
            write(staging);
            AtomicFolder.Replace(staging, folder);
        }
        catch (IOException e) when (e.Message.Contains(staging, StringComparison.Ordinal))
        {
            throw new IOException($"{e.Message.Replace(staging, folder, StringComparison.Ordinal).TrimEnd('.', ' ')}: '{folder}' was not written, and what it held is as it was. " +
                "Make room on its disk, or write elsewhere.", e);
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }
    }

    // The folder's path with every symbolic link along it resolved (as the current folder is given: "lnk/real", with lnk a
    // link to ".", is "real"), through the part that exists.
    private static string Physical(string folder)
    {
        if (OperatingSystem.IsWindows() || Existing(folder) is not { } existing)
            return folder;
        IntPtr resolved = RealPath(existing, IntPtr.Zero);
        if (resolved == IntPtr.Zero)
            return folder;
        try
        {
            string rest = Path.GetRelativePath(existing, folder);
            return Path.TrimEndingDirectorySeparator(Path.Join(Marshal.PtrToStringUTF8(resolved), rest == "." ? "" : rest));
        }
        finally
        {
            NativeMemory.Free((void*)resolved); // realpath's buffer comes from malloc
        }
    }

    [LibraryImport("libc", EntryPoint = "realpath", StringMarshalling = StringMarshalling.Utf8)]
    private static partial IntPtr RealPath(string path, IntPtr resolved);

    // The folder itself, or the nearest folder above it that exists.
    private static string? Existing(string folder)
    {
        string? existing = folder;
        while (existing is not null && !Directory.Exists(existing))
            existing = Path.GetDirectoryName(existing);
        return existing;
    }

    // The first path between the existing ancestor and the folder that is a file, if any.
    private static string? AncestorFile(string folder, string existing)
    {
        for (string? p = folder; p is not null && p != existing; p = Path.GetDirectoryName(p))
            if (File.Exists(p))
                return p;
        return null;
    }

    /// <summary>How the files that test a folder for writing begin: a run killed in the microseconds one exists leaves it behind.</summary>
    public const string ProbePrefix = ".agd-probe-";

    // A probe a killed run left, by its whole name: the prefix, a process id and a GUID.
    private static bool IsProbe(FileSystemInfo entry) => entry is FileInfo && ProbeName().IsMatch(entry.Name);

    [GeneratedRegex(@"^\.agd-probe-\d+-[0-9a-f]{32}$")]
    private static partial Regex ProbeName();

    private static void Probe(string folder, string option, string directory)
    {
        string probe = Path.Combine(directory, $"{ProbePrefix}{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            File.WriteAllBytes(probe, [0]);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException)
        {
            throw Unwritable(folder, option, $"cannot be written ('{directory}' refuses new files: {e.Message})");
        }
        finally
        {
            if (File.Exists(probe))
                File.Delete(probe);
        }
    }

    private static IOException Unwritable(string folder, string option, string why) => new($"The output folder ({option}) '{folder}' {why}.");
}
