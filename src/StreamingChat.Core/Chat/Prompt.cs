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
}
