using System.ClientModel;
using System.ClientModel.Primitives;

namespace ChatbotHost;

/// <summary>
/// Copies each request body the OpenAI client serialized into a buffer of its own size, and hands the client's buffer back.
/// The client writes a body into pooled 16 KiB segments and keeps them until the response's headers arrive; a question
/// is a few hundred bytes, so a stream still waiting for its model held 16 KiB for nothing (a heap dump of 5,000 waiting
/// streams, benchmarks/README.md). Runs once per call, before the retry policy, so a retry sends the same copy.
/// </summary>
internal sealed class CompactRequestBodyPolicy : PipelinePolicy
{
    /// <summary>Bodies up to this size are copied; a larger one (long histories) is sent as the client wrote it.</summary>
    internal const int MaxCopiedBytes = 64 * 1024;

    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Compact(message);
        ProcessNext(message, pipeline, currentIndex);
    }

    // Not async: the call waits here until the response headers arrive, and a state machine of its own would be one
    // more object per waiting stream.
    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        Compact(message);
        return ProcessNextAsync(message, pipeline, currentIndex);
    }

    private static void Compact(PipelineMessage message)
    {
        var content = message.Request.Content;
        if (content is null || !content.TryComputeLength(out var length) || length > MaxCopiedBytes)
        {
            return;
        }

        var copy = new byte[length];
        using (var stream = new MemoryStream(copy, writable: true))
        {
            // Serialized already (computing the length did it): this is a memory copy, not I/O.
            content.WriteTo(stream, message.CancellationToken);
        }

        message.Request.Content = BinaryContent.Create(BinaryData.FromBytes(copy));
        content.Dispose(); // the pooled segments go back now, not when the model answers
    }
}
