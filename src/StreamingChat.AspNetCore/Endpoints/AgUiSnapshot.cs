using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>
/// AG-UI's run on a known thread that brings no new user message (a page that reconnects and asks what the thread holds):
/// <c>RUN_STARTED</c>, one <c>MESSAGES_SNAPSHOT</c> of the stored turns (each answer with its tool calls and their
/// results as AG-UI's assistant and tool messages), then <c>RUN_FINISHED</c>. The model is not asked.
/// </summary>
internal static class AgUiSnapshot
{
    private const int MaxTurns = 200;

    /// <summary>A run that asks for the thread's messages.</summary>
    /// <param name="ThreadId">The thread (the session).</param>
    /// <param name="RunId">The run.</param>
    public sealed record Run(string ThreadId, string RunId);

    /// <summary>The thread and run of a body that brings no user message; null for one that asks a question (or resumes).</summary>
    public static Run? Find(JsonElement root)
    {
        if (root.TryGetProperty("resume", out var resume) && resume.ValueKind == JsonValueKind.Array && resume.GetArrayLength() > 0)
        {
            return null;
        }

        if (!root.TryGetProperty("threadId", out var threadId) || threadId.ValueKind != JsonValueKind.String
            || !root.TryGetProperty("runId", out var runId) || runId.ValueKind != JsonValueKind.String)
        {
            return null;
        }

        // AG-UI always sends its messages; a body without them (or with a name that cannot be read) goes the question's way.
        if (!root.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        // Only a last message that is plainly not the caller's (an answer, a tool's result) asks for the snapshot; anything
        // else, a question or a message that cannot be read, goes the question's way and is refused there.
        var count = messages.GetArrayLength();
        if (count > 0 && !(messages[count - 1].ValueKind == JsonValueKind.Object
            && messages[count - 1].TryGetProperty("role", out var role) && role.ValueKind == JsonValueKind.String
            && (role.ValueEquals("assistant"u8) || role.ValueEquals("tool"u8) || role.ValueEquals("system"u8) || role.ValueEquals("developer"u8))))
        {
            return null;
        }

        // The ids must be text (a lone surrogate is not), else the question's way refuses them.
        return IsText(threadId) && IsText(runId) ? new Run(threadId.GetString()!, runId.GetString()!) : null;
    }

    private static bool IsText(JsonElement value)
    {
        try
        {
            _ = value.GetString();
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Writes the snapshot of the caller's thread; <c>404 session_not_found</c> for one that is not the caller's or does not exist.</summary>
    public static async Task WriteAsync(HttpContext context, string threadId, string runId)
    {
        var session = await context.RequestServices.GetRequiredService<SessionAccess>()
            .OpenExistingAsync(context, ChatCallers.Resolve(context), threadId, context.RequestAborted).ConfigureAwait(false);
        if (session is null)
        {
            await ChatProblems.SessionNotFound().ExecuteAsync(context).ConfigureAwait(false);
            return;
        }

        var turns = await context.RequestServices.GetRequiredService<IConversationStore>()
            .GetRecentAsync(threadId, session.Owner, MaxTurns, cancellationToken: context.RequestAborted).ConfigureAwait(false);
        using var framing = new AgUiFraming(threadId, runId);
        framing.ApplyHeaders(context.Response);
        var output = context.Response.BodyWriter;
        using (var json = new Utf8JsonWriter(output, ChatJson.WriterOptions))
        {
            Event(output, json, w =>
            {
                w.WriteString("type"u8, "RUN_STARTED"u8);
                w.WriteString("threadId"u8, threadId);
                w.WriteString("runId"u8, runId);
            });
            Event(output, json, w =>
            {
                w.WriteString("type"u8, "MESSAGES_SNAPSHOT"u8);
                w.WriteStartArray("messages"u8);
                foreach (var turn in turns)
                {
                    WriteMessages(w, turn);
                }

                w.WriteEndArray();
            });
            Event(output, json, w =>
            {
                w.WriteString("type"u8, "RUN_FINISHED"u8);
                w.WriteString("threadId"u8, threadId);
                w.WriteString("runId"u8, runId);
            });
        }

        await output.FlushAsync(context.RequestAborted).ConfigureAwait(false);
    }

    private static void Event(System.IO.Pipelines.PipeWriter output, Utf8JsonWriter json, Action<Utf8JsonWriter> members)
    {
        output.Write("data: "u8);
        json.Reset(output);
        json.WriteStartObject();
        members(json);
        json.WriteEndObject();
        json.Flush();
        output.Write("\n\n"u8);
    }

    /// <summary>A turn as AG-UI messages: a question; an answer with its tool calls, then each call's result as a tool message.</summary>
    private static void WriteMessages(Utf8JsonWriter json, ConversationMessage turn)
    {
        json.WriteStartObject();
        json.WriteString("id"u8, turn.MessageId);
        json.WriteString("role"u8, turn.Role == ConversationRole.User ? "user"u8 : "assistant"u8);
        json.WriteString("content"u8, turn.Content);
        var tools = turn.Parts.Where(part => part.Type == ConversationPart.ToolType && part.ToolCallId is not null).ToList();
        if (tools.Count > 0)
        {
            json.WriteStartArray("toolCalls"u8);
            foreach (var tool in tools)
            {
                json.WriteStartObject();
                json.WriteString("id"u8, tool.ToolCallId);
                json.WriteString("type"u8, "function"u8);
                json.WriteStartObject("function"u8);
                json.WriteString("name"u8, tool.ToolName ?? "unknown");
                json.WriteString("arguments"u8, tool.Input?.GetRawText() ?? "{}");
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndArray();
        }

        json.WriteEndObject();
        foreach (var tool in tools.Where(tool => tool.State is "output-available" or "output-error"))
        {
            json.WriteStartObject();
            json.WriteString("id"u8, turn.MessageId + "-tool-" + tool.ToolCallId);
            json.WriteString("role"u8, "tool"u8);
            json.WriteString("toolCallId"u8, tool.ToolCallId);
            json.WriteString("content"u8, tool.Error is not null ? "Error: " + tool.Error : tool.Output?.GetRawText() ?? "null");
            json.WriteEndObject();
        }
    }
}
