using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>
/// Turns the model's content beside text into the answer's events: reasoning, tool calls (each once, whatever the function
/// invocation repeats), their results (a failure, an unknown tool or arguments that could not be read become an error, never
/// an exception), approvals asked for, and cited sources (each URL once). One per answer.
/// </summary>
internal sealed class RichContentReader
{
    private static readonly JsonElement EmptyObject = JsonDocument.Parse("{}").RootElement.Clone();

    private readonly HashSet<string> _known;
    private readonly Dictionary<string, string> _toolNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _logged = new(StringComparer.Ordinal);
    private readonly ToolApproval? _approval;
    private int _sources;

    public RichContentReader(IList<AITool>? tools, ToolApproval? approval = null)
    {
        _approval = approval;
        if (approval is not null)
        {
            _toolNames[approval.ToolCallId] = approval.ToolName;
            _logged.Add("call:" + approval.ToolCallId); // the paused answer logged the call
        }

        _known = new HashSet<string>(StringComparer.Ordinal);
        if (tools is not null)
        {
            foreach (var tool in tools)
            {
                _known.Add(tool.Name);
            }
        }
    }

    /// <summary>Whether <paramref name="toolName"/> is one of the answer's tools.</summary>
    public bool IsKnown(string toolName) => _known.Contains(toolName);

    /// <summary>The event <paramref name="content"/> is, or null for content that is no event (usage, text, one seen already).</summary>
    public AnswerEvent? Read(AIContent content) => content switch
    {
        TextReasoningContent { Text.Length: > 0 } reasoning => AnswerEvent.ForReasoning(reasoning.Text),
        ToolApprovalRequestContent request => ReadApproval(request),
        FunctionCallContent call => ReadCall(call),
        FunctionResultContent result => ReadResult(result),
        _ => null,
    };

    /// <summary>The <c>source</c> event of a citation with an address, once per address; null for anything else.</summary>
    public AnswerEvent? ReadSource(AIAnnotation annotation)
    {
        if (annotation is not CitationAnnotation { Url: { } url } citation || !_logged.Add("source:" + url.AbsoluteUri))
        {
            return null;
        }

        var id = "source-" + (_sources++).ToString(CultureInfo.InvariantCulture);
        return AnswerEvent.ForSource(new AnswerSource(id, url.AbsoluteUri, citation.Title));
    }

    private AnswerEvent? ReadCall(FunctionCallContent call)
    {
        _toolNames[call.CallId] = call.Name;
        return _logged.Add("call:" + call.CallId)
            ? AnswerEvent.ForToolCall(new AnswerToolCall(call.CallId, call.Name, Input(call)))
            : null;
    }

    private AnswerEvent? ReadApproval(ToolApprovalRequestContent request)
    {
        if (request.ToolCall is not FunctionCallContent call || !_logged.Add("approval:" + request.RequestId))
        {
            return null;
        }

        _toolNames[call.CallId] = call.Name;
        return AnswerEvent.ForApprovalRequest(new AnswerApprovalRequest(request.RequestId, call.CallId, call.Name, Input(call)));
    }

    private AnswerEvent? ReadResult(FunctionResultContent result)
    {
        if (!_logged.Add("result:" + result.CallId))
        {
            return null;
        }

        var name = _toolNames.GetValueOrDefault(result.CallId) ?? "unknown";
        string? error = null;
        if (_approval is { Approved: false } denied && denied.ToolCallId == result.CallId)
        {
            error = denied.Reason is { Length: > 0 } reason ? $"Denied: {reason}" : "Denied.";
        }
        else if (!_known.Contains(name))
        {
            error = $"The model asked for a tool this chatbot does not have ({name}).";
        }
        else if (result.Exception is { } exception)
        {
            // The exception's type, not its message: a message may carry anything the tool touched.
            error = exception is TimeoutException ? exception.Message : $"The tool failed ({exception.GetType().Name}).";
        }

        return AnswerEvent.ForToolResult(new AnswerToolResult(result.CallId, name, error is null ? Output(result.Result) : null, error));
    }

    private static JsonElement Input(FunctionCallContent call)
    {
        if (call.Arguments is null || call.Exception is not null)
        {
            return EmptyObject;
        }

        try
        {
            return JsonSerializer.SerializeToElement(call.Arguments, AIJsonUtilities.DefaultOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            return EmptyObject;
        }
    }

    private static JsonElement? Output(object? result)
    {
        if (result is null)
        {
            return null;
        }

        try
        {
            return result is JsonElement element ? element.Clone() : JsonSerializer.SerializeToElement(result, AIJsonUtilities.DefaultOptions);
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            return JsonSerializer.SerializeToElement(result.ToString(), AIJsonUtilities.DefaultOptions);
        }
    }
}
