using MongoDB.Bson;
using MongoDB.Bson.Serialization.Attributes;
using StreamingChat.Core;

namespace StreamingChat.Mongo;

/// <summary>A chatbot as stored in <c>chatbots</c>: <c>_id</c> is the chatbot's id.</summary>
[BsonIgnoreExtraElements]
internal sealed class ChatbotDocument
{
    [BsonId]
    public string Id { get; set; } = "";

    [BsonElement("name")]
    public string Name { get; set; } = "";

    [BsonElement("systemPrompt")]
    public string SystemPrompt { get; set; } = "";

    [BsonElement("model")]
    [BsonIgnoreIfNull]
    public string? Model { get; set; }

    [BsonElement("temperature")]
    [BsonIgnoreIfNull]
    public double? Temperature { get; set; }

    [BsonElement("maxOutputTokens")]
    [BsonIgnoreIfNull]
    public int? MaxOutputTokens { get; set; }

    [BsonElement("enabled")]
    public bool Enabled { get; set; } = true;

    [BsonElement("speech")]
    [BsonIgnoreIfNull]
    public SpeechDocument? Speech { get; set; }

    /// <summary>The tools the chatbot may use, by name; absent (a chatbot stored before tools) is none.</summary>
    [BsonElement("tools")]
    [BsonIgnoreIfNull]
    public List<string>? Tools { get; set; }

    /// <summary>The MCP servers (configured names) whose tools the chatbot may use; absent is none.</summary>
    [BsonElement("mcpServers")]
    [BsonIgnoreIfNull]
    public List<string>? McpServers { get; set; }

    [BsonElement("updatedAt")]
    public DateTime UpdatedAt { get; set; }

    public static ChatbotDocument From(ChatbotDefinition chatbot) => new()
    {
        Id = chatbot.Id,
        Name = chatbot.Name,
        SystemPrompt = chatbot.SystemPrompt,
        Model = chatbot.Model,
        Temperature = chatbot.Temperature,
        MaxOutputTokens = chatbot.MaxOutputTokens,
        Enabled = chatbot.Enabled,
        Speech = chatbot.SpeechVoice is null && chatbot.SpeechLanguage is null && chatbot.SpeechFormat is null
            ? null
            : new SpeechDocument { Voice = chatbot.SpeechVoice, Language = chatbot.SpeechLanguage, Format = chatbot.SpeechFormat },
        Tools = chatbot.Tools.Count == 0 ? null : [.. chatbot.Tools],
        McpServers = chatbot.McpServers.Count == 0 ? null : [.. chatbot.McpServers],
        UpdatedAt = chatbot.UpdatedAt.UtcDateTime,
    };

    public ChatbotDefinition ToDefinition() => new()
    {
        Id = Id,
        Name = Name,
        SystemPrompt = SystemPrompt,
        Model = Model,
        Temperature = Temperature is { } t ? (float)t : null,
        MaxOutputTokens = MaxOutputTokens,
        Enabled = Enabled,
        SpeechVoice = Speech?.Voice,
        SpeechLanguage = Speech?.Language,
        SpeechFormat = Speech?.Format,
        Tools = Tools ?? [],
        McpServers = McpServers ?? [],
        UpdatedAt = new DateTimeOffset(DateTime.SpecifyKind(UpdatedAt, DateTimeKind.Utc)),
    };
}

/// <summary>A chatbot's speech settings.</summary>
internal sealed class SpeechDocument
{
    [BsonElement("voice")]
    [BsonIgnoreIfNull]
    public string? Voice { get; set; }

    [BsonElement("language")]
    [BsonIgnoreIfNull]
    public string? Language { get; set; }

    [BsonElement("format")]
    [BsonIgnoreIfNull]
    public string? Format { get; set; }
}

/// <summary>One turn as stored in <c>messages</c>: <c>_id</c> is the turn's message id.</summary>
[BsonIgnoreExtraElements]
internal sealed class MessageDocument
{
    [BsonId]
    public string Id { get; set; } = "";

    [BsonElement("sessionId")]
    public string SessionId { get; set; } = "";

    [BsonElement("chatbotId")]
    public string ChatbotId { get; set; } = "";

    [BsonElement("owner")]
    [BsonIgnoreIfNull]
    public string? Owner { get; set; }

    [BsonElement("role")]
    public string Role { get; set; } = "";

    [BsonElement("content")]
    public string Content { get; set; } = "";

    [BsonElement("status")]
    public string Status { get; set; } = "";

    [BsonElement("createdAt")]
    public DateTime CreatedAt { get; set; }

    [BsonElement("usage")]
    [BsonIgnoreIfNull]
    public UsageDocument? Usage { get; set; }

    [BsonElement("firstTokenMs")]
    [BsonIgnoreIfNull]
    public long? FirstTokenMs { get; set; }

    [BsonElement("totalMs")]
    [BsonIgnoreIfNull]
    public long? TotalMs { get; set; }

    [BsonElement("model")]
    [BsonIgnoreIfNull]
    public string? Model { get; set; }

    [BsonElement("errorCode")]
    [BsonIgnoreIfNull]
    public string? ErrorCode { get; set; }

    /// <summary>The person's rating of an answer; absent until they gave one.</summary>
    [BsonElement("feedback")]
    [BsonIgnoreIfNull]
    public FeedbackDocument? Feedback { get; set; }

    /// <summary>An answer's parts when it had more than text; absent for the rest.</summary>
    [BsonElement("parts")]
    [BsonIgnoreIfNull]
    public List<PartDocument>? Parts { get; set; }

    public static MessageDocument From(ConversationMessage message) => new()
    {
        Id = message.MessageId,
        SessionId = message.SessionId,
        ChatbotId = message.ChatbotId,
        Owner = message.Owner,
        Role = message.Role == ConversationRole.User ? "user" : "assistant",
        Content = message.Content,
        Status = message.Status switch
        {
            MessageStatus.Interrupted => "interrupted",
            MessageStatus.Failed => "failed",
            MessageStatus.Stopped => "stopped",
            _ => "complete",
        },
        CreatedAt = message.CreatedAt.UtcDateTime,
        Usage = message.Usage is { } usage ? new UsageDocument { InputTokens = usage.InputTokens, OutputTokens = usage.OutputTokens } : null,
        FirstTokenMs = message.FirstTokenMs,
        TotalMs = message.TotalMs,
        Model = message.Model,
        ErrorCode = message.ErrorCode,
        Parts = message.Parts.Count == 0 ? null : [.. message.Parts.Select(PartDocument.From)],
        Feedback = message.Feedback is { } feedback ? new FeedbackDocument { Rating = feedback.Rating, Comment = feedback.Comment, At = feedback.At.UtcDateTime } : null,
    };

    public ConversationMessage ToMessage() => new()
    {
        MessageId = Id,
        SessionId = SessionId,
        ChatbotId = ChatbotId,
        Owner = Owner,
        Role = Role == "user" ? ConversationRole.User : ConversationRole.Assistant,
        Content = Content,
        Status = Status switch
        {
            "interrupted" => MessageStatus.Interrupted,
            "failed" => MessageStatus.Failed,
            "stopped" => MessageStatus.Stopped,
            _ => MessageStatus.Complete,
        },
        CreatedAt = new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)),
        Usage = Usage is { } usage ? new AnswerUsage(usage.InputTokens, usage.OutputTokens) : null,
        FirstTokenMs = FirstTokenMs,
        TotalMs = TotalMs,
        Model = Model,
        ErrorCode = ErrorCode,
        Parts = Parts is null ? [] : [.. Parts.Select(part => part.ToPart())],
        Feedback = Feedback is { } feedback ? new AnswerFeedback(feedback.Rating, feedback.Comment, new DateTimeOffset(DateTime.SpecifyKind(feedback.At, DateTimeKind.Utc))) : null,
    };
}

/// <summary>A person's rating of an answer.</summary>
internal sealed class FeedbackDocument
{
    [BsonElement("rating")]
    public string Rating { get; set; } = "";

    [BsonElement("comment")]
    [BsonIgnoreIfNull]
    public string? Comment { get; set; }

    [BsonElement("at")]
    public DateTime At { get; set; }
}

/// <summary>A session and its owner, as stored in <c>sessions</c>: <c>_id</c> is the session's id.</summary>
[BsonIgnoreExtraElements]
internal sealed class SessionDocument
{
    [BsonId]
    public string Id { get; set; } = "";

    [BsonElement("owner")]
    [BsonIgnoreIfNull]
    public string? Owner { get; set; }

    [BsonElement("createdAt")]
    public DateTime CreatedAt { get; set; }

    /// <summary>The last question asked in the session; the retention index deletes the record this long after it.</summary>
    [BsonElement("updatedAt")]
    public DateTime UpdatedAt { get; set; }

    public ConversationSession ToSession() => new(Id, Owner, new DateTimeOffset(DateTime.SpecifyKind(CreatedAt, DateTimeKind.Utc)));
}

/// <summary>Token counts of an answer.</summary>
internal sealed class UsageDocument
{
    [BsonElement("inputTokens")]
    [BsonIgnoreIfNull]
    public long? InputTokens { get; set; }

    [BsonElement("outputTokens")]
    [BsonIgnoreIfNull]
    public long? OutputTokens { get; set; }
}

/// <summary>A migration that ran, as stored in <c>migrations</c>: <c>_id</c> is its number.</summary>
[BsonIgnoreExtraElements]
internal sealed class MigrationDocument
{
    [BsonId]
    public int Number { get; set; }

    [BsonElement("name")]
    public string Name { get; set; } = "";

    [BsonElement("appliedAt")]
    public DateTime AppliedAt { get; set; }

    [BsonElement("appliedBy")]
    public string AppliedBy { get; set; } = "";
}
