using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>The prompt of a question: the chatbot's system prompt, as much recent history as the budget allows, the question.</summary>
internal static class Prompt
{
    public static List<ChatMessage> Build(ChatbotDefinition chatbot, IReadOnlyList<ConversationMessage> history, string question, int maxHistoryCharacters)
    {
        // Newest turns first until the character budget is spent, then put back in order.
        var kept = new List<ConversationMessage>();
        var budget = maxHistoryCharacters;
        for (var i = history.Count - 1; i >= 0; i--)
        {
            var turn = history[i];
            if (turn.ChatbotId != chatbot.Id || turn.Content.Length == 0)
            {
                continue;
            }

            budget -= turn.Content.Length;
            if (budget < 0)
            {
                break;
            }

            kept.Add(turn);
        }

        kept.Reverse();
        var messages = new List<ChatMessage>(kept.Count + 2);
        if (!string.IsNullOrWhiteSpace(chatbot.SystemPrompt))
        {
            messages.Add(new ChatMessage(ChatRole.System, chatbot.SystemPrompt));
        }

        foreach (var turn in kept)
        {
            messages.Add(new ChatMessage(turn.Role == ConversationRole.User ? ChatRole.User : ChatRole.Assistant, turn.Content));
        }

        messages.Add(new ChatMessage(ChatRole.User, question));
        return messages;
    }

    /// <summary>
    /// The prompt of a paused answer's continuation: the chatbot's system prompt and history (the question and what was
    /// said are stored turns by now), then the call that waited and the person's answer to it, as Microsoft.Extensions.AI's
    /// function invocation reads an approval.
    /// </summary>
    public static List<ChatMessage> BuildContinuation(ChatbotDefinition chatbot, IReadOnlyList<ConversationMessage> history, ToolApproval approval, int maxHistoryCharacters)
    {
        var messages = Build(chatbot, history, "", maxHistoryCharacters);
        messages.RemoveAt(messages.Count - 1); // no new question
        var arguments = approval.Input.ValueKind == System.Text.Json.JsonValueKind.Object
            ? System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, object?>>(approval.Input.GetRawText(), AIJsonUtilities.DefaultOptions)
            : null;
        var call = new FunctionCallContent(approval.ToolCallId, approval.ToolName, arguments);
        messages.Add(new ChatMessage(ChatRole.Assistant, [new ToolApprovalRequestContent(approval.ApprovalId, call)]));
        messages.Add(new ChatMessage(ChatRole.User, [new ToolApprovalResponseContent(approval.ApprovalId, approval.Approved, call) { Reason = approval.Reason }]));
        return messages;
    }
}
