namespace StreamingChat.Core.Tests;

public sealed class SentenceChunkerTests
{
    /// <summary>Feeds <paramref name="text"/> in tokens of <paramref name="size"/> characters and records where each sentence came out.</summary>
    private static List<string> Chunk(string text, int size = 3, int maxLength = 400)
    {
        var chunker = new SentenceChunker(maxLength);
        var sentences = new List<string>();
        for (var i = 0; i < text.Length; i += size)
        {
            sentences.AddRange(chunker.Append(text.Substring(i, Math.Min(size, text.Length - i))));
        }

        if (chunker.Flush() is { } rest)
        {
            sentences.Add(rest);
        }

        return sentences;
    }

    public static TheoryData<string, string[]> Cases => new()
    {
        { "Hello there. How are you? I am fine!", ["Hello there.", "How are you?", "I am fine!"] },
        { "Pi is about 3.14159 in value. Next.", ["Pi is about 3.14159 in value.", "Next."] },
        { "Ask Dr. Smith, e.g. on Monday. Then go.", ["Ask Dr. Smith, e.g. on Monday.", "Then go."] },
        { "J. R. R. Tolkien wrote it. Really.", ["J. R. R. Tolkien wrote it.", "Really."] },
        { "Wait... what happened? Nothing... Then silence.", ["Wait... what happened?", "Nothing...", "Then silence."] },
        { "He said \"Stop.\" Then he left.", ["He said \"Stop.\"", "Then he left."] },
        { "(This is quoted.) And this follows.", ["(This is quoted.)", "And this follows."] },
        { "Really?! Yes.", ["Really?!", "Yes."] },
        { "Steps:\n1. Open the lid.\n2. Pour the water.\n3. Close it", ["Steps:", "1. Open the lid.", "2. Pour the water.", "3. Close it"] },
        { "Options:\n- red\n- green\n- blue", ["Options:", "- red", "- green", "- blue"] },
        { "First paragraph without a stop\n\nSecond one.", ["First paragraph without a stop", "Second one."] },
        { "Call `obj.Method(). Then()` now. Done.", ["Call `obj.Method(). Then()` now.", "Done."] },
        { "Code:\n```\nvar x = 1. y = 2.\n\nz();\n```\nAfter the block. End.", ["Code:", "```\nvar x = 1. y = 2.\n\nz();\n```\nAfter the block.", "End."] },
        { "今日は晴れです。明日は雨でしょう！本当？", ["今日は晴れです。", "明日は雨でしょう！", "本当？"] },
        { "Visit example.com today. Bye.", ["Visit example.com today.", "Bye."] },
        { "No ending punctuation", ["No ending punctuation"] },
        { "   ", [] },
        { "...", [] },
        { "It costs $5. That is cheap.", ["It costs $5.", "That is cheap."] },
        { "The U.S. economy grew. Markets rose.", ["The U.S. economy grew.", "Markets rose."] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Chunk_SplitsIntoSentences_WhateverTheTokenSize(string text, string[] expected)
    {
        Assert.Equal(expected, Chunk(text, size: 1));
        Assert.Equal(expected, Chunk(text, size: 3));
        Assert.Equal(expected, Chunk(text, size: 1000));
    }

    [Fact]
    public void Append_HandsASentenceOverAsSoonAsTheNextCharacterShowsItIsComplete()
    {
        var chunker = new SentenceChunker();

        Assert.Empty(chunker.Append("Hello there."));
        Assert.Equal(["Hello there."], chunker.Append(" How"));
        Assert.Empty(chunker.Append(" are you?"));
        Assert.Equal("How are you?", chunker.Flush());
    }

    [Fact]
    public void LongSentence_IsCutAtItsLastCommaOrSpace_BelowTheLimit()
    {
        var text = string.Join(", ", Enumerable.Range(0, 40).Select(i => $"item number {i}")) + ".";

        var sentences = Chunk(text, size: 5, maxLength: 100);

        Assert.All(sentences, s => Assert.InRange(s.Length, 1, 100));
        Assert.Equal(text.Replace(" ", "", StringComparison.Ordinal), string.Concat(sentences).Replace(" ", "", StringComparison.Ordinal));
        Assert.All(sentences[..^1], s => Assert.EndsWith(",", s, StringComparison.Ordinal));
    }
}
