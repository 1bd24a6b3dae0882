using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace StreamingChat.Core;

/// <summary>A tool added with <c>AddTool()</c>.</summary>
/// <param name="Tool">The function.</param>
internal sealed record ChatToolRegistration(AIFunction Tool);

/// <summary>
/// The tools a chatbot's answers may call: those added to the builder that its <see cref="ChatbotDefinition.Tools"/> names,
/// and those its tool sources give it (<see cref="IChatToolSource"/>: an MCP server's, say).
/// </summary>
internal sealed class ChatTools
{
    private readonly Dictionary<string, AIFunction> _byName;
    private readonly IChatToolSource[] _sources;
    private readonly ILogger<ChatTools> _logger;

    public ChatTools(IEnumerable<ChatToolRegistration> registrations, ILogger<ChatTools> logger, IEnumerable<IChatToolSource>? sources = null)
    {
        _sources = sources is null ? [] : [.. sources];
        _byName = new Dictionary<string, AIFunction>(StringComparer.Ordinal);
        foreach (var registration in registrations)
        {
            // The last added wins, as with every other registration on the builder.
            _byName[registration.Tool.Name] = registration.Tool;
        }

        _logger = logger;
    }

    /// <summary>
    /// The tools <paramref name="chatbot"/> may use, from the builder and from every source; null when none (so the model is
    /// asked without tools). A source that fails is logged and left out: the question is answered without its tools.
    /// </summary>
    public async ValueTask<IList<AITool>?> ForAsync(ChatbotDefinition chatbot, CancellationToken cancellationToken)
    {
        var tools = For(chatbot);
        foreach (var source in _sources)
        {
            try
            {
                var more = await source.GetToolsAsync(chatbot, cancellationToken).ConfigureAwait(false);
                if (more.Count > 0)
                {
                    tools ??= [];
                    foreach (var tool in more)
                    {
                        tools.Add(tool);
                    }
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                Log.ToolSourceFailed(_logger, chatbot.Id, source.GetType().Name, ex);
            }
        }

        return tools;
    }

    /// <summary>The builder's tools <paramref name="chatbot"/> may use; null when none.</summary>
    public IList<AITool>? For(ChatbotDefinition chatbot)
    {
        if (chatbot.Tools.Count == 0)
        {
            return null;
        }

        var tools = new List<AITool>(chatbot.Tools.Count);
        foreach (var name in chatbot.Tools)
        {
            if (_byName.TryGetValue(name, out var tool))
            {
                tools.Add(tool);
            }
            else
            {
                Log.ToolUnknown(_logger, chatbot.Id, name);
            }
        }

        return tools.Count == 0 ? null : tools;
    }
}

/// <summary>
/// Where tools come from besides <c>AddTool()</c>: asked for each question, with its chatbot, for the tools that chatbot
/// may use (an MCP server's tools, say). Added with <c>AddToolSource&lt;TSource&gt;()</c>; a source that throws is logged
/// and the question is answered without its tools.
/// </summary>
public interface IChatToolSource
{
    /// <summary>The tools <paramref name="chatbot"/> may use from this source; empty when none.</summary>
    /// <param name="chatbot">The chatbot answering.</param>
    /// <param name="cancellationToken">Cancelled when the question is.</param>
    /// <returns>The tools.</returns>
    ValueTask<IReadOnlyList<AITool>> GetToolsAsync(ChatbotDefinition chatbot, CancellationToken cancellationToken);
}
