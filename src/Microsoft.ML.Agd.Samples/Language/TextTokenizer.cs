using Microsoft.ML.Tokenizers;
using System.Text;

namespace Microsoft.ML.Agd.Samples.Language;

/// <summary>How text becomes token ids and back: one token per character of the training text, or GPT-2's byte-pair encoding.</summary>
internal abstract class TextTokenizer
{
    /// <summary>"char" or "gpt2": how a model folder names its tokenizer.</summary>
    public abstract string Kind { get; }

    /// <summary>Number of distinct token ids.</summary>
    public abstract int VocabularySize { get; }

    /// <summary>The ids of a text.</summary>
    /// <exception cref="ArgumentException">The text holds a character the tokenizer does not know; the message names it.</exception>
    public abstract int[] Encode(string text);

    /// <summary>The text of ids.</summary>
    public abstract string Decode(IEnumerable<int> ids);

    /// <summary>The characters of a character tokenizer (what a model folder records), none for GPT-2's.</summary>
    public virtual IReadOnlyList<string> Characters => [];

    /// <summary>A tokenizer by kind: "char" learns its characters from <paramref name="text"/>; "gpt2" is GPT-2's.</summary>
    /// <exception cref="ArgumentException">The kind is neither.</exception>
    public static TextTokenizer Create(string kind, string text) => kind switch
    {
        "char" => new CharacterTokenizer(text.EnumerateRunes().Select(r => r.ToString()).Distinct().Order(StringComparer.Ordinal).ToList()),
        "gpt2" => Gpt2Tokenizer.Instance,
        _ => throw UnknownKind(kind),
    };

    /// <summary>The tokenizer a model folder recorded.</summary>
    public static TextTokenizer Restore(string kind, IReadOnlyList<string> characters) => kind switch
    {
        "char" => new CharacterTokenizer(characters),
        "gpt2" => Gpt2Tokenizer.Instance,
        _ => throw UnknownKind(kind),
    };

    private static ArgumentException UnknownKind(string kind) => new($"Unknown tokenizer '{kind}': use char (one token per character) or gpt2 (GPT-2's byte-pair encoding).", "--tokens");
}

/// <summary>One token per character (Unicode scalar) of the training text, in ordinal order, as nanoGPT's shakespeare_char.</summary>
internal sealed class CharacterTokenizer(IReadOnlyList<string> characters) : TextTokenizer
{
    private readonly Dictionary<string, int> _ids = characters.Select((c, i) => (c, i)).ToDictionary(p => p.c, p => p.i);

    public override string Kind => "char";

    public override int VocabularySize => characters.Count;

    public override IReadOnlyList<string> Characters => characters;

    public override int[] Encode(string text)
    {
        var ids = new List<int>(text.Length);
        foreach (var rune in text.EnumerateRunes())
            ids.Add(_ids.TryGetValue(rune.ToString(), out int id) ? id
                : throw new ArgumentException($"The character '{rune}' (U+{rune.Value:X4}) never occurs in the text the model was trained on, so it has no token; leave it out.", nameof(text)));
        return [.. ids];
    }

    public override string Decode(IEnumerable<int> ids)
    {
        var text = new StringBuilder();
        foreach (int id in ids)
            text.Append(characters[id]);
        return text.ToString();
    }
}

/// <summary>GPT-2's byte-pair encoding (Microsoft.ML.Tokenizers' Tiktoken, with its gpt2 vocabulary): any text has tokens.</summary>
internal sealed class Gpt2Tokenizer : TextTokenizer
{
    public static readonly Gpt2Tokenizer Instance = new();

    private readonly TiktokenTokenizer _tokenizer = TiktokenTokenizer.CreateForModel("gpt2");

    private Gpt2Tokenizer()
    {
    }

    public override string Kind => "gpt2";

    // GPT-2's: 256 bytes, 50,000 merges and <|endoftext|>.
    public override int VocabularySize => 50257;

    public override int[] Encode(string text) => [.. _tokenizer.EncodeToIds(text)];

    public override string Decode(IEnumerable<int> ids) => _tokenizer.Decode(ids);
}
