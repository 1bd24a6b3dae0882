namespace StreamingChat.Core;

/// <summary>A chatbot: the system prompt and model settings that answer its questions.</summary>
public sealed record ChatbotDefinition
{
    /// <summary>Whether <paramref name="id"/> is a valid chatbot id: 1–64 of <c>A-Z a-z 0-9 _ -</c>.</summary>
    public static bool IsValidId(string? id) => id is not null && ChatbotSeedOptionsValidator.ChatbotIdPattern().IsMatch(id);

    /// <summary>The chatbot's id (1–64 of <c>A-Z a-z 0-9 _ -</c>).</summary>
    public required string Id { get; init; }

    /// <summary>A display name.</summary>
    public string Name { get; init; } = "";

    /// <summary>The system prompt put before the conversation; none when empty.</summary>
    public string SystemPrompt { get; init; } = "";

    /// <summary>The model to ask; the client's default model when null.</summary>
    public string? Model { get; init; }

    /// <summary>The sampling temperature; the model's default when null.</summary>
    public float? Temperature { get; init; }

    /// <summary>The most tokens an answer may have; the model's default when null.</summary>
    public int? MaxOutputTokens { get; init; }

    /// <summary>
    /// The tools the model may call for this chatbot, by name: functions added with <c>AddTool()</c>. A name no tool has is
    /// left out of the call and logged.
    /// </summary>
    public IReadOnlyList<string> Tools { get; init; } = [];

    /// <summary>
    /// The MCP servers whose tools the model may call for this chatbot, by the names the operator configured them under
    /// (the sample host's <c>StreamingChat:Mcp:Servers:{name}</c>); a chatbot never names an address itself.
    /// </summary>
    public IReadOnlyList<string> McpServers { get; init; } = [];

    /// <summary>Whether the chatbot answers; a disabled chatbot is refused as not found.</summary>
    public bool Enabled { get; init; } = true;

    /// <summary>The voice answers are spoken in; the speech default when null.</summary>
    public string? SpeechVoice { get; init; }

    /// <summary>The language answers are spoken in (for example <c>en-US</c>); the speech default when null.</summary>
    public string? SpeechLanguage { get; init; }

    /// <summary>The audio format (<c>wav</c>, <c>mp3</c>); the speech default when null.</summary>
    public string? SpeechFormat { get; init; }

    /// <summary>When the definition last changed.</summary>
    public DateTimeOffset UpdatedAt { get; init; }

    /// <summary>Whether <paramref name="other"/> defines the same chatbot: every setting equal, the tools by their names in order.</summary>
    /// <param name="other">The definition to compare with.</param>
    /// <returns>True when they are the same.</returns>
    public bool Equals(ChatbotDefinition? other)
        => other is not null
        && Id == other.Id && Name == other.Name && SystemPrompt == other.SystemPrompt && Model == other.Model
        && Temperature == other.Temperature && MaxOutputTokens == other.MaxOutputTokens && Enabled == other.Enabled
        && SpeechVoice == other.SpeechVoice && SpeechLanguage == other.SpeechLanguage && SpeechFormat == other.SpeechFormat
        && UpdatedAt == other.UpdatedAt && Tools.SequenceEqual(other.Tools) && McpServers.SequenceEqual(other.McpServers);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Id, Name, SystemPrompt, Model, UpdatedAt, Tools.Count);
}
