using Microsoft.Extensions.AI;

namespace StreamingChat.Core;

/// <summary>What the model said about an answer besides its text, as <see cref="AnswerProducer"/> gathers it.</summary>
internal sealed class AnswerFacts
{
    /// <summary>The error the answer failed with; null while it has not.</summary>
    public AnswerError? Error { get; set; }

    /// <summary>Whether the model finished the answer.</summary>
    public bool Completed { get; set; }

    /// <summary>From the question to the first token; null until there is one.</summary>
    public TimeSpan? FirstToken { get; set; }

    /// <summary>The token pieces the model sent.</summary>
    public long Tokens { get; set; }

    /// <summary>Why the model stopped, when it said.</summary>
    public string? FinishReason { get; private set; }

    /// <summary>Whether the answer asked a person to approve a tool call: it then ends <c>approval_required</c>.</summary>
    public bool ApprovalRequested { get; set; }

    /// <summary>Whether the model reasoned in this answer (counted once).</summary>
    public bool Reasoned { get; set; }

    /// <summary>Token counts, when the model gave them: the sum over every model call of the answer (one per tool round).</summary>
    public AnswerUsage? Usage { get; private set; }

    /// <summary><see cref="FirstToken"/> in whole milliseconds.</summary>
    public long? FirstTokenMs => FirstToken is { } first ? (long)first.TotalMilliseconds : null;

    /// <summary>Notes the finish reason and usage an update carries.</summary>
    public void Observe(ChatResponseUpdate update)
    {
        if (update.FinishReason is { } reason)
        {
            FinishReason = reason.Value;
        }

        // Only scan for usage on updates that carry something besides one text piece: the common token update skips the loop.
        var contents = update.Contents;
        if (contents.Count == 1 && contents[0] is TextContent)
        {
            return;
        }

        foreach (var content in contents)
        {
            if (content is UsageContent { Details: var details })
            {
                Usage = Usage is null
                    ? new AnswerUsage(details.InputTokenCount, details.OutputTokenCount)
                    : new AnswerUsage(Sum(Usage.InputTokens, details.InputTokenCount), Sum(Usage.OutputTokens, details.OutputTokenCount));
            }
        }
    }

    private static long? Sum(long? a, long? b) => a is null && b is null ? null : (a ?? 0) + (b ?? 0);
}
