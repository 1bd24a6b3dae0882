using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>
/// The offline model's use of tools: which tool a question asks for (by a word in it, and only when the chatbot has that
/// tool), what it reasons first, and how it answers with a tool's result.
/// </summary>
internal static partial class OfflineTools
{
    /// <summary>The time tool's name, as the sample host adds it.</summary>
    public const string TimeTool = "get_time";

    /// <summary>The ticket tool's name, as the sample host adds it.</summary>
    public const string TicketTool = "open_ticket";

    private static readonly Uri TimeSource = new("https://en.wikipedia.org/wiki/Coordinated_Universal_Time");

    /// <summary>The call a question asks for, with the reasoning before it; null when it asks for no tool the chatbot has.</summary>
    public static (string Reasoning, FunctionCallContent Call)? Pick(string question, IList<AITool>? tools)
    {
        if (tools is not { Count: > 0 })
        {
            return null;
        }

        var callId = "call_" + (OfflineChatClient.StableHash(question) % 1_000_000).ToString(CultureInfo.InvariantCulture);
        if (Has(tools, TimeTool) && TimeWord().IsMatch(question))
        {
            return ("The question asks for the time, so I will ask the get_time tool for it.", new FunctionCallContent(callId, TimeTool, new Dictionary<string, object?> { ["zone"] = "UTC" }));
        }

        if (Has(tools, TicketTool) && TicketWord().IsMatch(question))
        {
            var title = question.Trim();
            title = title.Length > 60 ? title[..60] : title;
            return ("The question asks for a ticket, so I will open one; a person approves it first.", new FunctionCallContent(callId, TicketTool, new Dictionary<string, object?> { ["title"] = title }));
        }

        return null;
    }

    /// <summary>The updates of a round that asks for a tool: the reasoning, then the call with the round's usage.</summary>
    public static IEnumerable<ChatResponseUpdate> Updates(string reasoning, FunctionCallContent call, IReadOnlyList<ChatMessage> prompt, string model)
    {
        yield return new ChatResponseUpdate { Role = ChatRole.Assistant, Contents = [new TextReasoningContent(reasoning)], ModelId = model };
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ModelId = model,
            FinishReason = ChatFinishReason.ToolCalls,
            Contents = [call, new UsageContent(new UsageDetails { InputTokenCount = prompt.Sum(m => (long)OfflineChatClient.EstimateTokens(m.Text)), OutputTokenCount = 8 })],
        };
    }

    /// <summary>The first sentence of the answer after a tool ran (or failed, or was denied).</summary>
    public static string Answer(FunctionResultContent result, IReadOnlyList<ChatMessage> prompt)
    {
        var tool = NameOf(result, prompt);
        var output = result.Result switch
        {
            null => "nothing",
            JsonElement element => element.GetRawText(),
            string text => text,
            var other => JsonSerializer.Serialize(other, AIJsonUtilities.DefaultOptions),
        };
        return result.Exception is not null || output.StartsWith("Error:", StringComparison.Ordinal)
            ? $"The tool {tool} could not answer, so I answer without it."
            : $"The tool {tool} answered {output}.";
    }

    /// <summary>The source the answer cites for a tool's result: the time's, for <c>get_time</c>.</summary>
    public static CitationAnnotation? Cite(FunctionResultContent result, IReadOnlyList<ChatMessage> prompt)
        => NameOf(result, prompt) == TimeTool && result.Exception is null
            ? new CitationAnnotation { Url = TimeSource, Title = "Coordinated Universal Time" }
            : null;

    private static string NameOf(FunctionResultContent result, IReadOnlyList<ChatMessage> prompt)
    {
        foreach (var message in prompt)
        {
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent call && call.CallId == result.CallId)
                {
                    return call.Name;
                }
            }
        }

        return "unknown";
    }

    private static bool Has(IList<AITool> tools, string name)
    {
        foreach (var tool in tools)
        {
            if (tool.Name == name)
            {
                return true;
            }
        }

        return false;
    }

    [GeneratedRegex(@"\btime\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TimeWord();

    [GeneratedRegex(@"\btickets?\b", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex TicketWord();
}
