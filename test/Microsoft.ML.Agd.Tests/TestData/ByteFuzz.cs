namespace Microsoft.ML.Agd.Tests.TestData;

/// <summary>Random one-byte changes to a file, tried one at a time; the file is put back afterwards.</summary>
internal static class ByteFuzz
{
    /// <summary>
    /// Changes one random byte of <paramref name="path"/>, <paramref name="count"/> times, each time calling
    /// <paramref name="check"/> with the changed byte's offset. A <typeparamref name="TNamed"/> it throws is a named error:
    /// <paramref name="named"/> checks it. Returns how many changes were named and how many passed the check.
    /// </summary>
    public static (int Named, int Same) Run<TNamed>(string path, int count, Random random, Action<int> check, Action<TNamed, int> named) where TNamed : Exception
    {
        byte[] original = File.ReadAllBytes(path);
        int namedCount = 0;
        try
        {
            for (int trial = 0; trial < count; trial++)
            {
                byte[] changed = (byte[])original.Clone();
                int at = random.Next(changed.Length);
                changed[at] ^= (byte)random.Next(1, 256);
                File.WriteAllBytes(path, changed);
                try
                {
                    check(at);
                }
                catch (TNamed e)
                {
                    named(e, at);
                    namedCount++;
                }
            }
        }
        finally
        {
            File.WriteAllBytes(path, original);
        }
        return (namedCount, count - namedCount);
    }
}
