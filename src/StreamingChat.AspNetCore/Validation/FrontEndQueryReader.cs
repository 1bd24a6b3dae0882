using System.Text;
using System.Text.Json;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// The question in the bodies the front-end libraries send: the AI SDK's <c>useChat</c> body and AG-UI's
/// <c>RunAgentInput</c>. Only the last user message is the question (the stored history is the conversation: a client
/// cannot rewrite it); members the page adds beside the protocol's own are allowed and, but for <c>chatbotId</c> and
/// <c>enableTTS</c>, ignored. Refusals name the field, as our own endpoint's do.
/// </summary>
internal static class FrontEndQueryReader
{
    /// <summary>
    /// <c>{"id","messages":[{"id","role","parts":[{"type":"text","text"}]}],"trigger"}</c> plus the page's members:
    /// <c>id</c> is the session.
    /// </summary>
    public static Func<JsonElement, int, ChatQueryReadResult> UiMessages(string defaultChatbotId) => (root, maxQueryLength) =>
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var sessionId = Member(root, "id") is { } id ? ChatQueryReader.ReadString(id, "id", errors, required: true) : Missing("id", errors);
        ChatQueryReader.CheckId(sessionId, "id", errors);
        var query = LastUserText(root, errors, static message => Member(message, "parts") is { ValueKind: JsonValueKind.Array } parts ? TextOf(parts) : null);
        ChatQueryReader.CheckQuery(query, "messages", maxQueryLength, errors);
        var (chatbotId, enableTts) = ChatbotOf(root, "chatbotId", defaultChatbotId, errors);
        return Result(errors, query, chatbotId, sessionId, enableTts, runId: null);
    };

    /// <summary>
    /// AG-UI's <c>RunAgentInput</c>: <c>threadId</c> is the session, <c>runId</c> names the run, and the chatbot comes from
    /// <c>forwardedProps.chatbotId</c>.
    /// </summary>
    public static Func<JsonElement, int, ChatQueryReadResult> RunAgentInput(string defaultChatbotId) => (root, maxQueryLength) =>
    {
        var errors = new Dictionary<string, string[]>(StringComparer.Ordinal);
        var threadId = Member(root, "threadId") is { } thread ? ChatQueryReader.ReadString(thread, "threadId", errors, required: true) : Missing("threadId", errors);
        ChatQueryReader.CheckId(threadId, "threadId", errors);
        var runId = Member(root, "runId") is { } run ? ChatQueryReader.ReadString(run, "runId", errors, required: true) : Missing("runId", errors);
        ChatQueryReader.CheckId(runId, "runId", errors);
        var query = LastUserText(root, errors, static message => Member(message, "content") switch
        {
            { ValueKind: JsonValueKind.String } text => text.GetString(),
            { ValueKind: JsonValueKind.Array } parts => TextOf(parts),
            _ => null,
        });
        ChatQueryReader.CheckQuery(query, "messages", maxQueryLength, errors);
        var forwarded = Member(root, "forwardedProps") is { ValueKind: JsonValueKind.Object } props ? props : default;
        var (chatbotId, enableTts) = ChatbotOf(forwarded, "forwardedProps.chatbotId", defaultChatbotId, errors);
        return Result(errors, query, chatbotId, threadId, enableTts, runId);
    };

    private static ChatQueryReadResult Result(Dictionary<string, string[]> errors, string? query, string? chatbotId, string? sessionId, bool enableTts, string? runId)
        => errors.Count > 0
            ? new(null, ChatProblems.Invalid(errors))
            : new(new ChatQuery(query!, chatbotId!, sessionId!, enableTts), null, runId);

    /// <summary>The text of the last message whose role is <c>user</c>; a refusal naming <c>messages</c> when there is none.</summary>
    private static string? LastUserText(JsonElement root, Dictionary<string, string[]> errors, Func<JsonElement, string?> textOf)
    {
        if (Member(root, "messages") is not { ValueKind: JsonValueKind.Array } messages)
        {
            errors["messages"] = ["The messages must be an array that ends with a user message."];
            return null;
        }

        JsonElement? last = null;
        foreach (var message in messages.EnumerateArray())
        {
            if (message.ValueKind == JsonValueKind.Object && Member(message, "role") is { ValueKind: JsonValueKind.String } role && role.ValueEquals("user"u8))
            {
                last = message;
            }
        }

        var text = last is { } user ? textOf(user) : null;
        if (string.IsNullOrEmpty(text))
        {
            errors["messages"] = ["The messages must include a user message with text."];
            return null;
        }

        return text;
    }

    /// <summary>The text parts of a message, joined.</summary>
    private static string? TextOf(JsonElement parts)
    {
        StringBuilder? text = null;
        foreach (var part in parts.EnumerateArray())
        {
            if (part.ValueKind == JsonValueKind.Object && Member(part, "type") is { } type && type.ValueEquals("text"u8) && Member(part, "text") is { ValueKind: JsonValueKind.String } value)
            {
                (text ??= new StringBuilder()).Append(value.GetString());
            }
        }

        return text?.ToString();
    }

    /// <summary>The chatbot (the member, else the configured default) and whether the answer is spoken.</summary>
    private static (string? ChatbotId, bool EnableTts) ChatbotOf(JsonElement holder, string name, string defaultChatbotId, Dictionary<string, string[]> errors)
    {
        string? chatbotId = null;
        var enableTts = false;
        if (holder.ValueKind == JsonValueKind.Object)
        {
            if (Member(holder, "chatbotId") is { ValueKind: not JsonValueKind.Null } chatbot)
            {
                chatbotId = ChatQueryReader.ReadString(chatbot, name, errors, required: true);
            }

            if (Member(holder, "enableTTS") is { ValueKind: JsonValueKind.True })
            {
                enableTts = true;
            }
        }

        chatbotId ??= defaultChatbotId.Length > 0 ? defaultChatbotId : null;
        if (chatbotId is null && !errors.ContainsKey(name))
        {
            errors[name] = ["The chatbotId is required (no StreamingChat:Chat:DefaultChatbotId is set)."];
        }

        ChatQueryReader.CheckChatbotId(chatbotId, name, errors);
        return (chatbotId, enableTts);
    }

    private static string? Missing(string name, Dictionary<string, string[]> errors)
    {
        errors[name] = ["The field is required."];
        return null;
    }

    private static JsonElement? Member(JsonElement element, string name)
        => element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) ? value : null;
}
