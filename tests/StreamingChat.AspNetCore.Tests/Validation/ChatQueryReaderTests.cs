using System.Buffers;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;

namespace StreamingChat.AspNetCore.Tests;

public sealed class ChatQueryReaderTests
{
    private const string Valid = """{"query":"Hello","chatbotId":"demo","sessionId":"3f0c6a1e","enableTTS":false,"userId":"u1"}""";

    private static ChatQueryReadResult Parse(string body, int maxQueryLength = 8000)
        => ChatQueryReader.Parse(new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(body)), maxQueryLength);

    private static IDictionary<string, string[]> Errors(ChatQueryReadResult result)
    {
        Assert.Null(result.Query);
        var problem = Assert.IsType<ValidationProblem>(result.Problem);
        Assert.Equal(StatusCodes.Status400BadRequest, problem.StatusCode);
        Assert.Equal("invalid_request", problem.ProblemDetails.Extensions["code"]);
        return problem.ProblemDetails.Errors;
    }

    [Fact]
    public void Parse_Valid_ReadsEveryField()
    {
        var query = Parse(Valid).Query;

        Assert.Equal(new Core.ChatQuery("Hello", "demo", "3f0c6a1e", false, "u1"), query);
    }

    [Fact]
    public void Parse_NoSessionId_IsValid_AndLeavesTheSessionForTheServerToName()
        => Assert.Equal("", Parse("""{"query":"Hi","chatbotId":"demo"}""").Query!.SessionId);

    [Fact]
    public void Parse_OnlyRequiredFields_Defaults()
    {
        var query = Parse("""{"query":"Hi","chatbotId":"a_b-C9","sessionId":"s"}""").Query!;

        Assert.False(query.EnableTts);
        Assert.Null(query.UserId);

    }

    [Theory]
    [InlineData("", "body")]
    [InlineData("{", "body")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":"s" """, "body")]
    [InlineData("""{"query":"Hi",}""", "body")]
    [InlineData("[1,2]", "body")]
    [InlineData("\"text\"", "body")]
    [InlineData("null", "body")]
    [InlineData("""{"chatbotId":"demo","sessionId":"s"}""", "query")]
    [InlineData("""{"query":null,"chatbotId":"demo","sessionId":"s"}""", "query")]
    [InlineData("""{"query":42,"chatbotId":"demo","sessionId":"s"}""", "query")]
    [InlineData("""{"query":"   ","chatbotId":"demo","sessionId":"s"}""", "query")]
    [InlineData("""{"query":"a\u0000b","chatbotId":"demo","sessionId":"s"}""", "query")]
    [InlineData("""{"query":"Hi","sessionId":"s"}""", "chatbotId")]
    [InlineData("""{"query":"Hi","chatbotId":"","sessionId":"s"}""", "chatbotId")]
    [InlineData("""{"query":"Hi","chatbotId":"has space","sessionId":"s"}""", "chatbotId")]
    [InlineData("""{"query":"Hi","chatbotId":"../etc","sessionId":"s"}""", "chatbotId")]
    [InlineData("""{"query":"Hi","chatbotId":["demo"],"sessionId":"s"}""", "chatbotId")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":""}""", "sessionId")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":"a\nb"}""", "sessionId")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":123}""", "sessionId")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":"s","enableTTS":"yes"}""", "enableTTS")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":"s","enableTTS":1}""", "enableTTS")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":"s","userId":""}""", "userId")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":"s","userId":7}""", "userId")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":"s","extra":1}""", "extra")]
    [InlineData("""{"query":"Hi","chatbotId":"demo","sessionId":"s","Query":"again"}""", "Query")]
    [InlineData("""{"query":"Hi","query":"twice","chatbotId":"demo","sessionId":"s"}""", "query")]
    public void Parse_Malformed_IsInvalidRequestNamingTheField(string body, string field)
        => Assert.Contains(field, Errors(Parse(body)).Keys);

    [Fact]
    public void Parse_LimitsOfLength_AreInclusive()
    {
        Assert.NotNull(Parse($$"""{"query":"{{new string('q', 10)}}","chatbotId":"{{new string('c', 64)}}","sessionId":"{{new string('s', 128)}}"}""", maxQueryLength: 10).Query);
        Assert.Contains("query", Errors(Parse($$"""{"query":"{{new string('q', 11)}}","chatbotId":"demo","sessionId":"s"}""", maxQueryLength: 10)).Keys);
        Assert.Contains("chatbotId", Errors(Parse($$"""{"query":"q","chatbotId":"{{new string('c', 65)}}","sessionId":"s"}""")).Keys);
        Assert.Contains("sessionId", Errors(Parse($$"""{"query":"q","chatbotId":"demo","sessionId":"{{new string('s', 129)}}"}""")).Keys);
    }

    [Fact]
    public void Parse_InvalidUtf8_IsInvalidRequest()
    {
        var bytes = Encoding.UTF8.GetBytes("""{"query":"Hi X","chatbotId":"demo","sessionId":"s"}""");
        bytes[Array.IndexOf(bytes, (byte)'X')] = 0xFF;

        var errors = Errors(ChatQueryReader.Parse(new ReadOnlySequence<byte>(bytes), 8000));

        Assert.NotEmpty(errors);
    }

    [Fact]
    public void Parse_QueryWithTabsAndLineBreaks_IsAccepted()
        => Assert.Equal("line one\n\tline two\r\n", Parse("""{"query":"line one\n\tline two\r\n","chatbotId":"demo","sessionId":"s"}""").Query!.Query);

    [Theory]
    [InlineData("application/json", true)]
    [InlineData("application/json; charset=utf-8", true)]
    [InlineData("Application/JSON; charset=UTF-8", true)]
    [InlineData("application/json; charset=latin1", false)]
    [InlineData("text/plain", false)]
    [InlineData("application/x-www-form-urlencoded", false)]
    [InlineData("multipart/form-data; boundary=x", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void IsJson_AcceptsJsonInUtf8Only(string? contentType, bool expected)
        => Assert.Equal(expected, ChatQueryReader.IsJson(contentType));
}
