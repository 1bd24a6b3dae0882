using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>What the model says, piece by piece: the answer's text, and what comes beside it (reasoning, tools, sources).</summary>
internal sealed partial class AnswerProducer
{
    /// <summary>A piece of the answer's text: logged as it comes (or kept whole when not streaming), spoken, counted.</summary>
    private async ValueTask TokenAsync(string text)
    {
        if (text.Length == 0)
        {
            return;
        }

        _facts.FirstToken ??= _production.Time.GetElapsedTime(_chat.StartedTimestamp);
        _facts.Tokens++;
        _text.Append(text);
        _model!.Speech?.Add(text);
        if (_streaming)
        {
            await AppendAsync(AnswerEvent.ForToken(text)).ConfigureAwait(false);
        }
        else
        {
            _parts.Add(AnswerEvent.ForToken(text));
        }
    }

    /// <summary>The sources a piece of text cites, each logged once.</summary>
    private async ValueTask SourcesAsync(TextContent text)
    {
        if (text.Annotations is not { Count: > 0 } annotations)
        {
            return;
        }

        foreach (var annotation in annotations)
        {
            if (_rich.ReadSource(annotation) is { } source)
            {
                await RichAsync(source).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// An event beside the text (reasoning, a tool call or result, an approval asked for, a source): logged as it comes,
    /// whether the text is streamed or not, except reasoning when callers are not to see it; kept with the turn either way.
    /// </summary>
    private async ValueTask RichAsync(AnswerEvent streamEvent)
    {
        switch (streamEvent.Kind)
        {
            case AnswerEventKind.ApprovalRequest:
                _facts.ApprovalRequested = true;
                break;
            case AnswerEventKind.ToolResult:
                // The tag names a tool of the chatbot's, never a name the model made up: the metric's tags stay bounded.
                var tool = streamEvent.ToolResult!.ToolName;
                _production.Metrics.ToolCalled(_rich.IsKnown(tool) ? tool : "unknown", streamEvent.ToolResult.Error is not null);
                break;
            case AnswerEventKind.Reasoning when !_facts.Reasoned:
                _facts.Reasoned = true;
                _production.Metrics.Reasoned();
                break;
        }

        if (streamEvent.Kind == AnswerEventKind.Reasoning && !_production.Options.CurrentValue.SendReasoning)
        {
            _parts.Add(streamEvent);
            return;
        }

        await AppendAsync(streamEvent).ConfigureAwait(false);
    }

    /// <summary>Logs an event, numbered next, and keeps it for the turn's parts.</summary>
    private async ValueTask AppendAsync(AnswerEvent streamEvent)
    {
        await _production.Log.AppendAsync(_chat.MessageId, streamEvent).ConfigureAwait(false);
        _nextId++;
        _parts.Add(streamEvent);
    }
}
