namespace StreamingChat.Testing;

/// <summary>
/// A fake model that uses tools the way a real one streams them: reasoning as <c>reasoning_content</c>, then a
/// <c>tool_calls</c> delta for <c>get_time</c> when the question has the word "time" or for <c>open_ticket</c> when it has
/// "ticket" (and the tool is offered); with a tool's result it answers in words. For <see cref="FakeOpenAIServer.Responder"/>.
/// </summary>
public static class FakeToolModel
{
    /// <summary>What the request gets.</summary>
    public static FakeCompletion Respond(RecordedRequest request)
    {
        if (request.AfterTool)
        {
            // Paced like a model, so a reader that drops after the tool's output finds the answer still running.
            return new FakeCompletion { Tokens = ["The tool", " answered;", " here it is."], FirstTokenDelay = TimeSpan.FromMilliseconds(100), TokenInterval = TimeSpan.FromMilliseconds(100) };
        }

        var question = request.LastQuestion;
        if (request.ToolNames.Contains("get_time") && question.Contains("time", StringComparison.OrdinalIgnoreCase))
        {
            return new FakeCompletion { Tokens = [], Reasoning = ["The user asks", " for the time."], ToolCalls = [new FakeToolCall("call_" + Math.Abs(question.Length), "get_time", """{"zone":"UTC"}""")] };
        }

        if (request.ToolNames.Contains("open_ticket") && question.Contains("ticket", StringComparison.OrdinalIgnoreCase))
        {
            return new FakeCompletion { Tokens = [], Reasoning = ["A ticket needs", " a person's yes."], ToolCalls = [new FakeToolCall("call_t" + Math.Abs(question.Length), "open_ticket", """{"title":"Printer jammed"}""")] };
        }

        return new FakeCompletion { Tokens = ["Just", " words."] };
    }
}
