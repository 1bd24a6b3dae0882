using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using StreamingChat.Core;

namespace StreamingChat.AspNetCore;

/// <summary>API.md's feedback: a person rates an answer of theirs, up or down; the last rating given counts.</summary>
internal static class FeedbackEndpoints
{
    public const string FeedbackPath = "/api/chat/answers/{messageId}/feedback";

    private const int MaxCommentLength = 2000;

    /// <summary>
    /// <c>POST /api/chat/answers/{messageId}/feedback</c> with <c>{"rating":"up"|"down","comment":"…"}</c>: stored with the
    /// answer's turn (a second rating replaces the first) and counted; <c>204</c>. Only the answer's owner may rate it: any
    /// other caller gets the <c>404 answer_not_found</c> of an answer that does not exist.
    /// </summary>
    [Tags(EndpointTags.Answers)]
    [EndpointSummary("Rate an answer up or down; a second rating replaces the first")]
    [AcceptsJson<FeedbackBody>]
    public static async Task<Responses<Rated, InvalidRequest, AnswerNotFound>> PostAsync(string messageId, HttpContext context, IAnswers answers, IConversationStore store, TimeProvider time)
        => new(await PostCoreAsync(messageId, context, answers, store, time).ConfigureAwait(false));

    private static async Task<IResult> PostCoreAsync(string messageId, HttpContext context, IAnswers answers, IConversationStore store, TimeProvider time)
    {
        var (body, refused) = await JsonBody.ReadObjectAsync(context.Request, ChatQueryReader.MaxBodyBytes, optional: false, context.RequestAborted).ConfigureAwait(false);
        if (refused is not null)
        {
            return refused;
        }

        var (feedback, invalid) = Read(body!.Value, time.GetUtcNow());
        if (invalid is not null)
        {
            return invalid;
        }

        var access = context.RequestServices.GetRequiredService<SessionAccess>();
        var caller = ChatCallers.Resolve(context);
        var turn = await store.GetMessageAsync(messageId, context.RequestAborted).ConfigureAwait(false);
        if (turn is not { Role: ConversationRole.Assistant } || !access.Owns(context, caller, turn.SessionId, turn.Owner))
        {
            return ChatProblems.AnswerNotFound();
        }

        await store.AppendAsync([turn with { Feedback = feedback }], context.RequestAborted).ConfigureAwait(false);
        context.RequestServices.GetRequiredService<StreamingChatMetrics>().Rated(turn.ChatbotId, feedback!.Rating);
        return TypedResults.NoContent();
    }

    /// <summary>The rating (<c>up</c> or <c>down</c>, required) and the comment (optional, at most 2,000 characters).</summary>
    private static (AnswerFeedback? Feedback, IResult? Invalid) Read(JsonElement body, DateTimeOffset now)
    {
        if (!body.TryGetProperty("rating", out var rating) || rating.ValueKind != JsonValueKind.String
            || !(rating.ValueEquals("up"u8) || rating.ValueEquals("down"u8)))
        {
            return (null, JsonBody.Invalid("rating", "rating is required: \"up\" or \"down\"."));
        }

        string? comment = null;
        if (body.TryGetProperty("comment", out var given) && given.ValueKind != JsonValueKind.Null)
        {
            if (given.ValueKind != JsonValueKind.String || JsonBodyText(given) is not { } text || text.Length > MaxCommentLength)
            {
                return (null, JsonBody.Invalid("comment", $"comment must be text of at most {MaxCommentLength} characters."));
            }

            comment = text;
        }

        return (new AnswerFeedback(rating.ValueEquals("up"u8) ? AnswerFeedback.Up : AnswerFeedback.Down, comment, now), null);
    }

    private static string? JsonBodyText(JsonElement value)
    {
        try
        {
            return value.GetString();
        }
        catch (InvalidOperationException)
        {
            return null; // not Unicode (a lone surrogate)
        }
    }
}
