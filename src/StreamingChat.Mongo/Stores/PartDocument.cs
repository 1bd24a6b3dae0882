using MongoDB.Bson.Serialization.Attributes;
using StreamingChat.Core;

namespace StreamingChat.Mongo;

/// <summary>
/// One part of an answer: its members as <see cref="ConversationPart"/> has them, a tool's input and output as JSON text
/// (their shape is the tool's, and JSON text keeps it exactly).
/// </summary>
internal sealed class PartDocument
{
    [BsonElement("type")]
    public string Type { get; set; } = "";

    [BsonElement("text")]
    [BsonIgnoreIfNull]
    public string? Text { get; set; }

    [BsonElement("toolCallId")]
    [BsonIgnoreIfNull]
    public string? ToolCallId { get; set; }

    [BsonElement("toolName")]
    [BsonIgnoreIfNull]
    public string? ToolName { get; set; }

    [BsonElement("state")]
    [BsonIgnoreIfNull]
    public string? State { get; set; }

    [BsonElement("input")]
    [BsonIgnoreIfNull]
    public string? Input { get; set; }

    [BsonElement("output")]
    [BsonIgnoreIfNull]
    public string? Output { get; set; }

    [BsonElement("error")]
    [BsonIgnoreIfNull]
    public string? Error { get; set; }

    [BsonElement("approvalId")]
    [BsonIgnoreIfNull]
    public string? ApprovalId { get; set; }

    [BsonElement("sourceId")]
    [BsonIgnoreIfNull]
    public string? SourceId { get; set; }

    [BsonElement("url")]
    [BsonIgnoreIfNull]
    public string? Url { get; set; }

    [BsonElement("title")]
    [BsonIgnoreIfNull]
    public string? Title { get; set; }

    public static PartDocument From(ConversationPart part) => new()
    {
        Type = part.Type,
        Text = part.Text,
        ToolCallId = part.ToolCallId,
        ToolName = part.ToolName,
        State = part.State,
        Input = part.Input?.GetRawText(),
        Output = part.Output?.GetRawText(),
        Error = part.Error,
        ApprovalId = part.ApprovalId,
        SourceId = part.SourceId,
        Url = part.Url,
        Title = part.Title,
    };

    public ConversationPart ToPart() => new()
    {
        Type = Type,
        Text = Text,
        ToolCallId = ToolCallId,
        ToolName = ToolName,
        State = State,
        Input = Json(Input),
        Output = Json(Output),
        Error = Error,
        ApprovalId = ApprovalId,
        SourceId = SourceId,
        Url = Url,
        Title = Title,
    };

    private static System.Text.Json.JsonElement? Json(string? text)
    {
        if (text is null)
        {
            return null;
        }

        using var document = System.Text.Json.JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }
}
