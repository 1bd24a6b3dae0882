// Over 300 lines: the rules that decide where a sentence ends (abbreviations, numbers, lists, ellipses, quotes, code,
// CJK stops) read one another's state over the same buffer, so they are kept together.
using System.Text;

namespace StreamingChat.Core;

/// <summary>
/// Cuts a stream of tokens into sentences as they complete, so each can be spoken while the answer is still being
/// written. A sentence ends at <c>. ! ? …</c> followed by white space (after any closing quotes or brackets), at a CJK
/// full stop (<c>。！？</c>, no space needed), or at a line break that ends a list item or a paragraph. It does not end
/// after common abbreviations (<c>e.g.</c>, <c>Dr.</c>), inside numbers (<c>3.14</c>), after a list number (<c>1.</c>),
/// after an ellipsis that the sentence goes on from (a lower-case word follows), or inside a code span or block. A
/// sentence longer than <see cref="MaxLength"/> is cut at its last comma or space. <see cref="Flush"/> hands over
/// what remains at the end of the answer.
/// </summary>
internal sealed class SentenceChunker
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "cf", "approx", "no", "vol", "fig",
        "inc", "ltd", "co", "corp", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
        "a.m", "p.m", "u.s", "u.k", "e.u", "ph.d", "min", "max", "est", "dept", "mt", "ave",
    };

    private readonly StringBuilder _pending = new();
    private int _scanned;
    private bool _inCodeBlock;
    private bool _inCodeSpan;

    /// <summary>Creates a chunker that cuts sentences longer than <paramref name="maxLength"/> characters.</summary>
    public SentenceChunker(int maxLength = 400)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 20);
        MaxLength = maxLength;
    }

    /// <summary>The longest sentence handed over in one piece.</summary>
    public int MaxLength { get; }

    /// <summary>Adds a token; returns the sentences it completed (usually none), in order.</summary>
    public IReadOnlyList<string> Append(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        _pending.Append(token);
        List<string>? done = null;
        while (NextBoundary() is { } end)
        {
            Emit(end, ref done);
        }

        while (_pending.Length > MaxLength && !_inCodeBlock)
        {
            // The text after the cut was scanned already: keep its place, so no code mark is counted twice.
            var cut = CutPoint();
            var scanned = Math.Max(0, _scanned - cut);
            Emit(cut, ref done);
            _scanned = scanned;
        }

        return done ?? (IReadOnlyList<string>)[];
    }

    /// <summary>What remains once the answer is complete, trimmed; null when nothing is left to say.</summary>
    public string? Flush()
    {
        var rest = _pending.ToString().Trim();
        _pending.Clear();
        _scanned = 0;
        _inCodeBlock = _inCodeSpan = false;
        return Speakable(rest) ? rest : null;
    }

    private void Emit(int end, ref List<string>? done)
    {
        var sentence = _pending.ToString(0, end).Trim();
        _pending.Remove(0, end);
        _scanned = 0;
        if (Speakable(sentence))
        {
            (done ??= []).Add(sentence);
        }
    }

    private static bool Speakable(string text)
    {
        foreach (var c in text)
        {
            if (char.IsLetterOrDigit(c))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The end (exclusive) of the first complete sentence in the pending text, or null when none is complete yet.</summary>
    private int? NextBoundary()
    {
        // Over 60 lines: one scan of the pending text, each rule of where a sentence ends a case in it; split, each rule would rescan.
        var text = _pending;
        for (var i = _scanned; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '`')
            {
                if (i + 2 < text.Length && text[i + 1] == '`' && text[i + 2] == '`')
                {
                    _inCodeBlock = !_inCodeBlock;
                    i += 2;
                    continue;
                }

                if (i + 2 >= text.Length)
                {
                    // Could be the start of a fence still arriving: look again with more text.
                    _scanned = i;
                    return null;
                }

                if (!_inCodeBlock)
                {
                    _inCodeSpan = !_inCodeSpan;
                }

                continue;
            }

            if (_inCodeBlock || _inCodeSpan)
            {
                continue;
            }

            if (c is '。' or '！' or '？')
            {
                return AfterClosers(i + 1) is { } end ? end : Wait(i);
            }

            if (c == '\n')
            {
                // A blank line ends a paragraph; a line break before a list item ends the line before it.
                if (i + 1 >= text.Length)
                {
                    return Wait(i);
                }

                switch (text[i + 1] == '\n' ? true : StartsBlock(i + 1))
                {
                    case true:
                        return i + 1;
                    case null:
                        return Wait(i);
                    default:
                        continue;
                }
            }

            if (c is '.' or '!' or '?' or '…')
            {
                var after = AfterClosers(i + 1);
                if (after is null)
                {
                    return Wait(i); // the next character decides
                }

                if (after == text.Length || !char.IsWhiteSpace(text[after.Value]))
                {
                    continue; // 3.14, example.com, "?!" still arriving is handled by AfterClosers
                }

                if (c == '.' && (IsAbbreviation(i) || IsListNumber(i)))
                {
                    i = after.Value - 1;
                    continue;
                }

                if (IsEllipsis(i, after.Value) && !NextWordStartsUpper(after.Value, out var known))
                {
                    if (!known)
                    {
                        return Wait(i);
                    }

                    i = after.Value - 1;
                    continue; // "wait... what": the sentence goes on
                }

                return after.Value;
            }
        }

        _scanned = text.Length;
        return null;
    }

    private int? Wait(int i)
    {
        _scanned = i;
        return null;
    }

    /// <summary>The index after the terminator's run of further terminators and closing quotes or brackets; null when the text ends there.</summary>
    private int? AfterClosers(int index)
    {
        var text = _pending;
        while (index < text.Length && (text[index] is '.' or '!' or '?' or '…' or '"' or '\'' or ')' or ']' or '”' or '’' or '»' or '」' or '』' or '）'))
        {
            index++;
        }

        return index < text.Length ? index : null;
    }

    private bool IsAbbreviation(int dot)
    {
        var text = _pending;
        var start = dot;
        while (start > 0 && (char.IsLetter(text[start - 1]) || (text[start - 1] == '.' && start >= 2 && char.IsLetter(text[start - 2]))))
        {
            start--;
        }

        if (start == dot)
        {
            return false;
        }

        var word = text.ToString(start, dot - start);
        return Abbreviations.Contains(word) || (word.Length == 1 && char.IsUpper(word[0])); // an initial: "J. R. R. Tolkien"
    }

    private bool IsListNumber(int dot)
    {
        var text = _pending;
        var start = dot;
        while (start > 0 && char.IsDigit(text[start - 1]))
        {
            start--;
        }

        if (start == dot)
        {
            return false;
        }

        // Only digits between the start of a line (or of the text) and the dot: "1. First".
        var lineStart = start;
        while (lineStart > 0 && text[lineStart - 1] is ' ' or '\t')
        {
            lineStart--;
        }

        return lineStart == 0 || text[lineStart - 1] == '\n';
    }

    /// <summary>Whether a line starting at <paramref name="index"/> opens a list item or a code block; null while too little of it has arrived.</summary>
    private bool? StartsBlock(int index)
    {
        var text = _pending;
        while (index < text.Length && text[index] is ' ' or '\t')
        {
            index++;
        }

        if (index >= text.Length)
        {
            return null;
        }

        if (text[index] is '-' or '*' or '•')
        {
            return true;
        }

        if (text[index] == '`')
        {
            var ticks = 0;
            while (index + ticks < text.Length && ticks < 3 && text[index + ticks] == '`')
            {
                ticks++;
            }

            return ticks == 3 ? true : index + ticks < text.Length ? false : null;
        }

        var digits = index;
        while (digits < text.Length && char.IsDigit(text[digits]))
        {
            digits++;
        }

        if (digits == index)
        {
            return false;
        }

        return digits < text.Length ? text[digits] is '.' or ')' : null;
    }

    /// <summary>Whether the terminators from <paramref name="start"/> to <paramref name="end"/> hold an ellipsis.</summary>
    private bool IsEllipsis(int start, int end)
    {
        var text = _pending;
        var dots = 0;
        for (var i = start; i < end; i++)
        {
            if (text[i] == '…')
            {
                return true;
            }

            dots = text[i] == '.' ? dots + 1 : 0;
            if (dots == 3)
            {
                return true;
            }
        }

        return false;
    }

    private bool NextWordStartsUpper(int index, out bool known)
    {
        var text = _pending;
        while (index < text.Length && char.IsWhiteSpace(text[index]))
        {
            index++;
        }

        known = index < text.Length;
        return known && !char.IsLower(text[index]);
    }

    /// <summary>Where to cut a sentence that is too long: after its last comma, semicolon or colon, else its last space.</summary>
    private int CutPoint()
    {
        var text = _pending;
        var limit = Math.Min(text.Length, MaxLength);
        for (var i = limit - 1; i > MaxLength / 2; i--)
        {
            if (text[i] is ',' or ';' or ':' or '、' or '，')
            {
                return i + 1;
            }
        }

        for (var i = limit - 1; i > MaxLength / 2; i--)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                return i + 1;
            }
        }

        return limit;
    }
}
