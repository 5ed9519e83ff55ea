using System.Buffers.Binary;
using System.Text;

namespace Microsoft.ML.Agd.Native;

/// <summary>
/// The few facts we read from, and the one change we make to, a 64-bit little-endian ELF shared library:
/// its DT_NEEDED entries and the flags of a version it requires (.gnu.version_r).
/// </summary>
internal sealed class ElfImage
{
    private const uint SectionTypeDynamic = 6;
    private const uint SectionTypeVersionNeed = 0x6ffffffe;
    private const long DynamicTagNeeded = 1;
    private const ushort VersionFlagWeak = 0x2;

    private readonly byte[] _bytes;

    public ElfImage(byte[] bytes)
    {
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException("Not an ELF file.");
        if (bytes[4] != 2 || bytes[5] != 1)
            throw new InvalidDataException("Only 64-bit little-endian ELF files are supported.");
        _bytes = bytes;
    }

    public byte[] Bytes => _bytes;

    /// <summary>The shared libraries this one names in DT_NEEDED, in order.</summary>
    public IReadOnlyList<string> NeededLibraries()
    {
        var dynamic = Sections().FirstOrDefault(s => s.Type == SectionTypeDynamic);
        if (dynamic is null)
            return [];
        var strings = Section(dynamic.Link);
        var needed = new List<string>();
        for (long at = dynamic.Offset; at + 16 <= dynamic.Offset + dynamic.Size; at += 16)
        {
            long tag = I64(at);
            if (tag == 0)
                break;
            if (tag == DynamicTagNeeded)
                needed.Add(CString(strings.Offset + I64(at + 8)));
        }
        return needed;
    }

    /// <summary>
    /// Marks a required version weak, so that the dynamic loader accepts a library that lacks it.
    /// Returns false when the library does not require that version.
    /// </summary>
    public bool MarkVersionWeak(string version)
    {
        bool found = false;
        foreach (var entry in VersionEntries().Where(e => e.Version == version))
        {
            BinaryPrimitives.WriteUInt16LittleEndian(_bytes.AsSpan((int)entry.FlagsOffset), (ushort)(U16(entry.FlagsOffset) | VersionFlagWeak));
            found = true;
        }
        return found;
    }

    private IEnumerable<(string Version, long FlagsOffset)> VersionEntries()
    {
        var need = Sections().FirstOrDefault(s => s.Type == SectionTypeVersionNeed);
        if (need is null)
            yield break;
        var strings = Section(need.Link);
        long entry = need.Offset;
        // sh_info holds the number of Verneed entries.
        for (uint i = 0; i < need.Info; i++)
        {
            long aux = entry + U32(entry + 8);
            for (int j = 0; j < U16(entry + 2); j++)
            {
                yield return (CString(strings.Offset + U32(aux + 8)), aux + 4);
                aux += U32(aux + 12);
            }
            entry += U32(entry + 12);
        }
    }

    private sealed record SectionHeader(uint Type, long Offset, long Size, uint Link, uint Info);

    private IEnumerable<SectionHeader> Sections()
    {
        long table = I64(0x28);
        int size = U16(0x3A), count = U16(0x3C);
        for (int i = 0; i < count; i++)
            yield return ReadSection(table + (long)i * size);
    }

    private SectionHeader Section(uint index) => ReadSection(I64(0x28) + (long)index * U16(0x3A));

    private SectionHeader ReadSection(long at) => new(U32(at + 4), I64(at + 24), I64(at + 32), U32(at + 40), U32(at + 44));

    private ushort U16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(at, 2));
    private uint U32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(at, 4));
    private long I64(long at) => BinaryPrimitives.ReadInt64LittleEndian(Slice(at, 8));

    private ReadOnlySpan<byte> Slice(long at, int length)
    {
        if (at < 0 || at + length > _bytes.Length)
            throw new InvalidDataException($"Truncated ELF file: offset {at} is past its end ({_bytes.Length} bytes).");
        return _bytes.AsSpan((int)at, length);
    }

    private string CString(long at)
    {
        Slice(at, 1); // throws for an offset past the end
        var rest = _bytes.AsSpan((int)at);
        int end = rest.IndexOf((byte)0);
        if (end < 0)
            throw new InvalidDataException("Unterminated string in an ELF string table.");
        return Encoding.ASCII.GetString(rest[..end]);
    }
}
