using System.ClientModel;
using System.ClientModel.Primitives;
using ChatbotHost;

namespace StreamingChat.IntegrationTests;

public sealed class CompactRequestBodyPolicyTests
{
    [Fact]
    public async Task ProcessAsync_SmallBody_SendsAnExactCopyAndReleasesTheOriginal()
    {
        var body = new SpyContent("""{"model":"m","messages":[{"role":"user","content":"Hi"}],"stream":true}"""u8.ToArray());
        var sent = await SendAsync(body);

        Assert.NotSame(body, sent.Content);
        Assert.Equal(body.Bytes, sent.Bytes);
        Assert.True(body.Disposed);
    }

    [Fact]
    public async Task ProcessAsync_BodyOverTheLimit_IsSentAsWritten()
    {
        var body = new SpyContent(new byte[CompactRequestBodyPolicy.MaxCopiedBytes + 1]);
        var sent = await SendAsync(body);

        Assert.Same(body, sent.Content);
        Assert.False(body.Disposed);
    }

    private static async Task<(BinaryContent? Content, byte[] Bytes)> SendAsync(BinaryContent content)
    {
        var message = ClientPipeline.Create().CreateMessage();
        message.Request.Method = "POST";
        message.Request.Uri = new Uri("http://127.0.0.1/v1/chat/completions");
        message.Request.Content = content;
        var transport = new CapturingPolicy();

        await new CompactRequestBodyPolicy().ProcessAsync(message, [new CompactRequestBodyPolicy(), transport], 0);

        return (transport.Content, transport.Bytes);
    }

    /// <summary>Stands where the transport would: records the body it was given.</summary>
    private sealed class CapturingPolicy : PipelinePolicy
    {
        public BinaryContent? Content { get; private set; }

        public byte[] Bytes { get; private set; } = [];

        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
            => ProcessAsync(message, pipeline, currentIndex).AsTask().GetAwaiter().GetResult();

        public override async ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            Content = message.Request.Content;
            using var stream = new MemoryStream();
            await Content!.WriteToAsync(stream);
            Bytes = stream.ToArray();
        }
    }

    private sealed class SpyContent(byte[] bytes) : BinaryContent
    {
        public byte[] Bytes => bytes;

        public bool Disposed { get; private set; }

        public override bool TryComputeLength(out long length)
        {
            length = bytes.Length;
            return true;
        }

        public override void WriteTo(Stream stream, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            stream.Write(bytes);
        }

        public override async Task WriteToAsync(Stream stream, CancellationToken cancellationToken = default)
        {
            ObjectDisposedException.ThrowIf(Disposed, this);
            await stream.WriteAsync(bytes, cancellationToken);
        }

        public override void Dispose() => Disposed = true;
    }
}
