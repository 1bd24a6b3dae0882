using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace StreamingChat.Core;

/// <summary>A tool added with <c>AddTool()</c>.</summary>
/// <param name="Tool">The function.</param>
internal sealed record ChatToolRegistration(AIFunction Tool);

/// <summary>The tools added to the builder, by name; what a chatbot's <see cref="ChatbotDefinition.Tools"/> picks from.</summary>
internal sealed class ChatTools
{
    private readonly Dictionary<string, AIFunction> _byName;
    private readonly ILogger<ChatTools> _logger;

    public ChatTools(IEnumerable<ChatToolRegistration> registrations, ILogger<ChatTools> logger)
    {
        _byName = new Dictionary<string, AIFunction>(StringComparer.Ordinal);
        foreach (var registration in registrations)
        {
            // The last added wins, as with every other registration on the builder.
            _byName[registration.Tool.Name] = registration.Tool;
        }

        _logger = logger;
    }

    /// <summary>The tools <paramref name="chatbot"/> may use; null when none (so the model is asked without tools).</summary>
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
