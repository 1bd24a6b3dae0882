using System.Text;

namespace StreamingChat.Core;

/// <summary>
/// Gathers an answer's parts as its events are logged, for the stored turn: runs of text and of reasoning joined, each tool
/// call with its result (or its approval) folded into one part. Only an answer with more than text gets parts: a text-only
/// answer's content is the whole of it, as before.
/// </summary>
internal sealed class AnswerPartsBuilder
{
    private readonly List<ConversationPart> _parts = [];
    private readonly StringBuilder _run = new();
    private string? _runType;
    private bool _rich;

    public void Add(in AnswerEvent streamEvent)
    {
        switch (streamEvent.Kind)
        {
            case AnswerEventKind.Token:
                Append(ConversationPart.TextType, streamEvent.Text!);
                break;
            case AnswerEventKind.Reasoning:
                _rich = true;
                Append(ConversationPart.ReasoningType, streamEvent.Text!);
                break;
            case AnswerEventKind.ToolCall:
                var call = streamEvent.ToolCall!;
                AddTool(call.ToolCallId, call.ToolName, part => part with { Input = call.Input }, new ConversationPart
                {
                    Type = ConversationPart.ToolType,
                    ToolCallId = call.ToolCallId,
                    ToolName = call.ToolName,
                    Input = call.Input,
                    State = "input-available",
                });
                break;
            case AnswerEventKind.ApprovalRequest:
                var request = streamEvent.ApprovalRequest!;
                AddTool(request.ToolCallId, request.ToolName, part => part with { ApprovalId = request.ApprovalId, State = "approval-requested" }, new ConversationPart
                {
                    Type = ConversationPart.ToolType,
                    ToolCallId = request.ToolCallId,
                    ToolName = request.ToolName,
                    Input = request.Input,
                    ApprovalId = request.ApprovalId,
                    State = "approval-requested",
                });
                break;
            case AnswerEventKind.ToolResult:
                var result = streamEvent.ToolResult!;
                var state = result.Error is null ? "output-available" : "output-error";
                AddTool(result.ToolCallId, result.ToolName, part => part with { Output = result.Output, Error = result.Error, State = state }, new ConversationPart
                {
                    Type = ConversationPart.ToolType,
                    ToolCallId = result.ToolCallId,
                    ToolName = result.ToolName,
                    Output = result.Output,
                    Error = result.Error,
                    State = state,
                });
                break;
            case AnswerEventKind.Source:
                var source = streamEvent.Source!;
                EndRun();
                _rich = true;
                _parts.Add(new ConversationPart { Type = ConversationPart.SourceType, SourceId = source.SourceId, Url = source.Url, Title = source.Title });
                break;
            default:
                break; // start, audio and the terminal event are no part of what was said
        }
    }

    /// <summary>The parts so far; empty when the answer was text only.</summary>
    public IReadOnlyList<ConversationPart> Build()
    {
        if (!_rich)
        {
            return [];
        }

        EndRun();
        return [.. _parts];
    }

    private void Append(string type, string text)
    {
        if (_runType != type)
        {
            EndRun();
            _runType = type;
        }

        _run.Append(text);
    }

    private void EndRun()
    {
        if (_runType is not null && _run.Length > 0)
        {
            _parts.Add(new ConversationPart { Type = _runType, Text = _run.ToString() });
        }

        _run.Clear();
        _runType = null;
    }

    /// <summary>Updates the tool part of <paramref name="toolCallId"/>, or adds <paramref name="added"/> when there is none yet.</summary>
    private void AddTool(string toolCallId, string toolName, Func<ConversationPart, ConversationPart> update, ConversationPart added)
    {
        EndRun();
        _rich = true;
        for (var i = _parts.Count - 1; i >= 0; i--)
        {
            if (_parts[i].Type == ConversationPart.ToolType && _parts[i].ToolCallId == toolCallId)
            {
                _parts[i] = update(_parts[i]) with { ToolName = _parts[i].ToolName ?? toolName };
                return;
            }
        }

        _parts.Add(added);
    }
}
