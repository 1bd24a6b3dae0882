using System.Buffers;
using System.Net.ServerSentEvents;
using System.Text;
using System.Text.Json;

// A framework-only relay, the yardstick of the load harness (benchmarks/README.md): the question in, the model's tokens
// out as the product's events (start, token…, done), with nothing but the framework. HttpClient and SseParser read the
// upstream's chunks, Utf8JsonReader takes the text out of each, Utf8JsonWriter writes each event straight into the
// response's PipeWriter, and every token is flushed on its own. No stores, no rollout, no metrics, no answer log.
//
//   dotnet StreamingChat.FrameworkRelay.dll --urls=http://127.0.0.1:5100 --upstream=http://127.0.0.1:5200/v1
var builder = WebApplication.CreateSlimBuilder(args);
builder.Logging.ClearProviders();
var upstream = new Uri(builder.Configuration["upstream"] ?? throw new InvalidOperationException("--upstream=<OpenAI-compatible base URL> is required."));
var app = builder.Build();
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue, UseProxy = false }) { Timeout = Timeout.InfiniteTimeSpan };
var completions = new Uri(upstream.AbsoluteUri.TrimEnd('/') + "/chat/completions");
var jsonOptions = new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping, SkipValidation = true };

app.MapGet("/healthz/ready", () => "ok");
app.MapPost("/api/chat/query/stream", async (HttpContext context) =>
{
    using var question = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
    var query = question.RootElement.GetProperty("query").GetString();
    var body = new MemoryStream();
    using (var request = new Utf8JsonWriter(body))
    {
        request.WriteStartObject();
        request.WriteString("model", "fake-model");
        request.WriteBoolean("stream", true);
        request.WriteStartArray("messages");
        request.WriteStartObject();
        request.WriteString("role", "user");
        request.WriteString("content", query);
        request.WriteEndObject();
        request.WriteEndArray();
        request.WriteEndObject();
    }

    var response = context.Response;
    response.ContentType = "text/event-stream";
    response.Headers.CacheControl = "no-cache";
    var output = response.BodyWriter;
    using var json = new Utf8JsonWriter(output, jsonOptions);
    long id = 0;
    void Event(ReadOnlySpan<byte> name, Action<Utf8JsonWriter> data)
    {
        output.Write("event: "u8);
        output.Write(name);
        output.Write("\ndata: "u8);
        json.Reset(output);
        json.WriteStartObject();
        data(json);
        json.WriteEndObject();
        json.Flush();
        output.Write("\nid: "u8);
        output.Write(Encoding.ASCII.GetBytes(id++.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        output.Write("\n\n"u8);
    }

    Event("start"u8, w => w.WriteString("model"u8, "fake-model"u8));
    await output.FlushAsync(context.RequestAborted);
    using var call = new HttpRequestMessage(HttpMethod.Post, completions) { Content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length) };
    call.Content.Headers.ContentType = new("application/json");
    using var answer = await http.SendAsync(call, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
    answer.EnsureSuccessStatusCode();

    var parser = SseParser.Create(await answer.Content.ReadAsStreamAsync(context.RequestAborted), static (_, data) => Content(data));
    await foreach (var item in parser.EnumerateAsync(context.RequestAborted))
    {
        if (item.Data is { } text)
        {
            Event("token"u8, w => w.WriteString("text"u8, text));
            await output.FlushAsync(context.RequestAborted);
        }
    }

    Event("done"u8, w => w.WriteString("finishReason"u8, "stop"u8));
    await output.FlushAsync(context.RequestAborted);
});

app.Run();

// The delta's text of one chunk; null for a chunk without one and for [DONE].
static string? Content(ReadOnlySpan<byte> data)
{
    if (data.SequenceEqual("[DONE]"u8))
    {
        return null;
    }

    var reader = new Utf8JsonReader(data);
    while (reader.Read())
    {
        if (reader.TokenType == JsonTokenType.PropertyName && reader.ValueTextEquals("content"u8) && reader.Read() && reader.TokenType == JsonTokenType.String)
        {
            return reader.GetString();
        }
    }

    return null;
}
