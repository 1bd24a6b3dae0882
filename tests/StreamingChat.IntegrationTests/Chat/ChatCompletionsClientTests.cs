using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using StreamingChat.Core;
using StreamingChat.Testing;

namespace StreamingChat.IntegrationTests;

/// <summary>
/// Core's streaming client for OpenAI-compatible chat completions (OpenAICompatibleChatClient): what it reads from a
/// chunk, what it declines (and leaves to the OpenAI SDK), and that it asks the upstream for exactly what the SDK asks for.
/// </summary>
public sealed class ChatCompletionsClientTests
{
    private static ReadOnlySpan<byte> Utf8(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Chunk_WithText_IsAnUpdateWithTheChunksIdModelAndTime()
    {
        var reader = new ChatCompletionChunkReader();

        var update = reader.Read(Utf8("""{"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hel"},"finish_reason":null}]}"""))!;

        Assert.Equal("Hel", update.Text);
        Assert.Equal(ChatRole.Assistant, update.Role);
        Assert.Equal(("c1", "c1", "m"), (update.ResponseId, update.MessageId, update.ModelId));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), update.CreatedAt);
        Assert.Null(update.FinishReason);
    }

    [Fact]
    public void Chunks_OfOneStream_ShareTheirIdAndModelStrings()
    {
        var reader = new ChatCompletionChunkReader();
        const string Chunk = """{"id":"c1","model":"m","choices":[{"index":0,"delta":{"content":"a"}}]}""";

        var first = reader.Read(Utf8(Chunk))!;
        var second = reader.Read(Utf8(Chunk))!;

        Assert.Same(first.ResponseId, second.ResponseId);
        Assert.Same(first.ModelId, second.ModelId);
    }

    [Fact]
    public void Chunk_WithFinishReasonAndUsage_CarriesBoth()
    {
        var reader = new ChatCompletionChunkReader();

        var finish = reader.Read(Utf8("""{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"length"}]}"""))!;
        var usage = reader.Read(Utf8("""{"id":"c1","choices":[],"usage":{"prompt_tokens":12,"completion_tokens":6,"total_tokens":18,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":2}}}"""))!;

        Assert.Equal(ChatFinishReason.Length, finish.FinishReason);
        Assert.Empty(finish.Contents);
        var details = Assert.IsType<UsageContent>(Assert.Single(usage.Contents)).Details;
        Assert.Equal((12L, 6L, 18L, 4L, 2L), (details.InputTokenCount, details.OutputTokenCount, details.TotalTokenCount, details.CachedInputTokenCount, details.ReasoningTokenCount));
    }

    [Fact]
    public void Chunk_WithNothingInIt_AndDone_AreNoUpdate()
    {
        var reader = new ChatCompletionChunkReader();

        Assert.Null(reader.Read(Utf8("""{"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}""")));
        Assert.False(reader.Done);
        Assert.Null(reader.Read("[DONE]"u8));
        Assert.True(reader.Done);
    }

    [Fact]
    public void Chunk_OnlyTheFirstChoiceIsRead()
    {
        var reader = new ChatCompletionChunkReader();

        var update = reader.Read(Utf8("""{"choices":[{"index":0,"delta":{"content":"one"}},{"index":1,"delta":{"content":"two"}}],"id":"c1"}"""))!;

        Assert.Equal("one", update.Text);
        Assert.Equal("c1", update.ResponseId);
    }

    [Fact]
    public void Chunk_ThatIsAnError_ThrowsWithoutTheProvidersMessage()
    {
        var reader = new ChatCompletionChunkReader();

        var error = Assert.Throws<HttpRequestException>(() => reader.Read(Utf8("""{"error":{"message":"your prompt: secret words","type":"server_error","code":502}}""")));

        Assert.Contains("server_error", error.Message, StringComparison.Ordinal);
        Assert.Contains("502", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
        Assert.Equal(HttpRequestError.InvalidResponse, error.HttpRequestError);
    }

    [Fact]
    public void Chunk_ThatIsNotJson_Throws()
    {
        var reader = new ChatCompletionChunkReader();

        Assert.Throws<HttpRequestException>(() => reader.Read("{\"choices\":[{"u8));
    }

    [Fact]
    public void Chunks_WithReasoningAndToolCallDeltas_AreReasoningThenWholeCallsWithTheFinish()
    {
        var reader = new ChatCompletionChunkReader();
        string[] chunks =
        [
            """{"id":"c1","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"The user asks"}}]}""",
            """{"id":"c1","choices":[{"index":0,"delta":{"reasoning":" for the time."}}]}""",
            """{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_time","arguments":""}}]}}]}""",
            """{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"zone\""}}]}}]}""",
            """{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":1,"id":"call_2","type":"function","function":{"name":"broken","arguments":"{oops"}}]}}]}""",
            """{"id":"c1","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":":\"UTC\"}"}}]}}]}""",
        ];

        var updates = chunks.Select(chunk => reader.Read(Utf8(chunk))).ToList();
        var finish = reader.Read(Utf8("""{"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}"""))!;

        Assert.Equal(["The user asks", " for the time."], updates.Take(2).Select(u => Assert.IsType<TextReasoningContent>(Assert.Single(u!.Contents)).Text));
        Assert.All(updates.Skip(2), Assert.Null); // a call is given whole, not piece by piece
        Assert.Equal(ChatFinishReason.ToolCalls, finish.FinishReason);
        var calls = finish.Contents.OfType<FunctionCallContent>().ToList();
        Assert.Equal(("call_1", "get_time", "UTC"), (calls[0].CallId, calls[0].Name, calls[0].Arguments!["zone"]!.ToString()));
        Assert.Equal(("call_2", "broken"), (calls[1].CallId, calls[1].Name));
        Assert.NotNull(calls[1].Exception);
        Assert.Null(reader.Read("[DONE]"u8));
    }

    [Fact]
    public void Request_WithHostedToolsImagesOrAToolRoleWithoutResults_IsLeftToTheSdk()
    {
        ChatMessage[] text = [new(ChatRole.System, "Be brief."), new(ChatRole.User, "Hi"), new(ChatRole.Assistant, "Hello")];

        Assert.True(ChatCompletionsRequest.CanWrite(text, new ChatOptions { Temperature = 0.5f, MaxOutputTokens = 10 }));
        Assert.True(ChatCompletionsRequest.CanWrite(text, new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }));
        Assert.True(ChatCompletionsRequest.CanWrite([.. text, new(ChatRole.Assistant, [new FunctionCallContent("c", "one")]), new(ChatRole.Tool, [new FunctionResultContent("c", 1)])], null));
        Assert.False(ChatCompletionsRequest.CanWrite(text, new ChatOptions { Tools = [new HostedWebSearchTool()] }));
        Assert.False(ChatCompletionsRequest.CanWrite(text, new ChatOptions { ResponseFormat = ChatResponseFormat.Json }));
        Assert.False(ChatCompletionsRequest.CanWrite([new(ChatRole.User, [new DataContent(new byte[] { 1 }, "image/png")])], null));
        Assert.False(ChatCompletionsRequest.CanWrite([new(ChatRole.Tool, "42")], null));
    }

    [Fact]
    public async Task Request_IsWhatTheSdkSends()
    {
        await using var upstream = await FakeOpenAIServer.StartAsync();
        string[] tuned = ["--StreamingChat:Chatbots:tuned:Temperature=0.25", "--StreamingChat:Chatbots:tuned:MaxOutputTokens=64", "--StreamingChat:Chatbots:tuned:Model=tuned-model"];
        var bodies = new List<JsonNode>();
        foreach (var client in new[] { "Sdk", "Direct" })
        {
            await using var host = await HostInstance.StartWithUpstreamAsync(upstream, [$"--StreamingChat:Model:OpenAI:StreamingClient={client}", .. tuned]);
            await host.AskAsync("First?", sessionId: "parity", chatbotId: "tuned");
            await host.AskAsync("Second?", sessionId: "parity", chatbotId: "tuned");
            bodies.Add(upstream.Requests[^1].Body);
        }

        Assert.Equal(upstream.Requests[1].Messages, upstream.Requests[3].Messages);
        Assert.Equal(["user:First?", "assistant:Hello from the fake!", "user:Second?"], upstream.Requests[3].Messages.Where(m => m.Role != "system").Select(m => $"{m.Role}:{m.Content}"));
        // Message content aside (the SDK may send a text as an array of one part), the same fields with the same values.
        foreach (var body in bodies)
        {
            body.AsObject().Remove("messages");
        }

        Assert.True(JsonNode.DeepEquals(bodies[0], bodies[1]), $"SDK: {bodies[0].ToJsonString()}\nDirect: {bodies[1].ToJsonString()}");
    }

    [Fact]
    public async Task AToolRound_ThroughTheSdkAndDirect_GivesTheSameEvents_AndAsksTheUpstreamAlike()
    {
        await using var upstream = await FakeOpenAIServer.StartAsync();
        var runs = new List<(List<string> Events, RecordedRequest First, RecordedRequest Second)>();
        foreach (var client in new[] { "Sdk", "Direct" })
        {
            var call = upstream.Enqueue(new FakeCompletion { Tokens = [], Reasoning = ["The user asks", " for the time."], ToolCalls = [new FakeToolCall("call_1", "get_time", """{"zone":"UTC"}""")] });
            var answer = upstream.Enqueue(new FakeCompletion { Tokens = ["It is", " six."] });
            await using var host = await HostInstance.StartWithUpstreamAsync(upstream, [$"--StreamingChat:Model:OpenAI:StreamingClient={client}"]);
            var events = await host.AskAsync("What time is it?", sessionId: "tools-" + client);
            runs.Add(([.. events.Select(e => e.Type + (e.Type is "tool-call" or "reasoning" or "token" ? " " + e.Data.GetRawText() : ""))], call.Requests.Single(), answer.Requests.Single()));
        }

        Assert.Equal(runs[0].Events, runs[1].Events);
        Assert.Equal(["""reasoning {"text":"The user asks"}""", """reasoning {"text":" for the time."}"""], runs[1].Events.Where(e => e.StartsWith("reasoning", StringComparison.Ordinal)));
        Assert.Contains("""tool-call {"toolCallId":"call_1","toolName":"get_time","input":{"zone":"UTC"}}""", runs[1].Events);
        Assert.Contains(runs[1].Events, e => e.StartsWith("tool-result", StringComparison.Ordinal));
        Assert.Equal(["get_time", "open_ticket"], runs[1].First.ToolNames);
        foreach (var (_, first, second) in runs)
        {
            // The second round carries the call and its result, as the SDK sends them.
            Assert.Equal(["system", "user", "assistant", "tool"], second.Messages.Select(m => m.Role));
        }

        Assert.Equal(runs[0].Second.Body["messages"]![2]!["tool_calls"]!.ToJsonString(), runs[1].Second.Body["messages"]![2]!["tool_calls"]!.ToJsonString());
        Assert.Equal(runs[0].Second.Body["messages"]![3]!["tool_call_id"]!.ToJsonString(), runs[1].Second.Body["messages"]![3]!["tool_call_id"]!.ToJsonString());
    }
}
