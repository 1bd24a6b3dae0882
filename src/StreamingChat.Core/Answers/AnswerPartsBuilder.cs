using System.Text;

namespace StreamingChat.Core;

/// <summary>
/// Gathers an answer's parts as its events are logged, for the stored turn: runs of text and of reasoning joined, each tool
/// call with its result (or its approval) folded into one part. A run of text is kept as where it lies in the answer's
/// text, which the producer holds already, so a token costs a length here, not a second copy. Only an answer with more than
/// text gets parts: a text-only answer's content is the whole of it, as before.
/// </summary>
internal sealed class AnswerPartsBuilder
{
    private readonly List<Entry> _entries = [];
    private readonly StringBuilder _reasoning = new();
    private int _textLength;
    private int _runStart = -1;
    private bool _rich;

    public void Add(in AnswerEvent streamEvent)
    {
        switch (streamEvent.Kind)
        {
            case AnswerEventKind.Token:
                EndReasoning();
                if (_runStart < 0)
                {
                    _runStart = _textLength;
                }

                _textLength += streamEvent.Text!.Length;
                break;
            case AnswerEventKind.Reasoning:
                EndText();
                _rich = true;
                _reasoning.Append(streamEvent.Text);
                break;
            case AnswerEventKind.ToolCall:
                var call = streamEvent.ToolCall!;
                AddTool(call.ToolCallId, call.ToolName, part => part with { Input = call.Input, State = part.State ?? "input-available" });
                break;
            case AnswerEventKind.ApprovalRequest:
                var request = streamEvent.ApprovalRequest!;
                AddTool(request.ToolCallId, request.ToolName, part => part with { Input = part.Input ?? request.Input, ApprovalId = request.ApprovalId, State = "approval-requested" });
                break;
            case AnswerEventKind.ToolResult:
                var result = streamEvent.ToolResult!;
                AddTool(result.ToolCallId, result.ToolName, part => part with { Output = result.Output, Error = result.Error, State = result.Error is null ? "output-available" : "output-error" });
                break;
            case AnswerEventKind.Source:
                var source = streamEvent.Source!;
                EndRuns();
                _rich = true;
                _entries.Add(new Entry(new ConversationPart { Type = ConversationPart.SourceType, SourceId = source.SourceId, Url = source.Url, Title = source.Title }));
                break;
            default:
                break; // start, audio and the terminal event are no part of what was said
        }
    }

    /// <summary>The parts so far, their text runs cut from <paramref name="text"/> (the answer's text); empty when it was text only.</summary>
    public IReadOnlyList<ConversationPart> Build(string text)
    {
        if (!_rich)
        {
            return [];
        }

        EndRuns();
        return [.. _entries.Select(entry => entry.Part ?? new ConversationPart { Type = ConversationPart.TextType, Text = text.Substring(entry.TextStart, entry.TextLength) })];
    }

    private void EndRuns()
    {
        EndText();
        EndReasoning();
    }

    private void EndText()
    {
        if (_runStart >= 0 && _textLength > _runStart)
        {
            _entries.Add(new Entry(null, _runStart, _textLength - _runStart));
        }

        _runStart = -1;
    }

    private void EndReasoning()
    {
        if (_reasoning.Length > 0)
        {
            _entries.Add(new Entry(new ConversationPart { Type = ConversationPart.ReasoningType, Text = _reasoning.ToString() }));
            _reasoning.Clear();
        }
    }

    /// <summary>Updates the tool part of <paramref name="toolCallId"/>, made when this is the first event of that call.</summary>
    private void AddTool(string toolCallId, string toolName, Func<ConversationPart, ConversationPart> update)
    {
        EndRuns();
        _rich = true;
        for (var i = _entries.Count - 1; i >= 0; i--)
        {
            if (_entries[i].Part is { Type: ConversationPart.ToolType } part && part.ToolCallId == toolCallId)
            {
                _entries[i] = new Entry(update(part));
                return;
            }
        }

        _entries.Add(new Entry(update(new ConversationPart { Type = ConversationPart.ToolType, ToolCallId = toolCallId, ToolName = toolName })));
    }

    /// <summary>A finished part, or (with no part) a run of the answer's text by where it lies.</summary>
    private readonly record struct Entry(ConversationPart? Part, int TextStart = 0, int TextLength = 0);
}
