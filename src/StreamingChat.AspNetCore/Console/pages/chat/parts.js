// How the chat page draws an answer's parts besides its text: the reasoning folded, each tool call with its input and its
// output or error, and the sources it cites. Each takes the answer's bubble (chat.js's addTurn) and draws into its extras.
import { el } from '../../assets/console.js';

const json = value => JSON.stringify(value, null, 1);

/** The folded reasoning of an answer, made on its first piece. */
export function reasoningOf(bubble) {
  if (!bubble.reasoning) {
    bubble.reasoning = el('pre', { class: 'reasoning-text' });
    bubble.extras.append(el('details', { class: 'reasoning' }, el('summary', {}, 'Reasoning'), bubble.reasoning));
  }
  return bubble.reasoning;
}

/** A tool call's box: its name and state, its input, and its output or error once it ran. */
export function toolOf(bubble, toolCallId, toolName, input) {
  let tool = bubble.tools.get(toolCallId);
  if (!tool) {
    const summary = el('summary', {}, `Tool ${toolName}`);
    const result = el('pre', { class: 'tool-output' });
    const node = el('details', { class: 'tool', 'data-tool-call-id': toolCallId }, summary, el('pre', { class: 'tool-input' }, json(input ?? {})), result);
    tool = { node, summary, result, toolName };
    bubble.tools.set(toolCallId, tool);
    bubble.extras.append(node);
  }
  return tool;
}

export function showResult(bubble, { toolCallId, toolName, output, error }) {
  const tool = toolOf(bubble, toolCallId, toolName, null);
  tool.summary.textContent = `Tool ${tool.toolName}: ${error ? 'failed' : 'done'}`;
  tool.result.textContent = error ? error : json(output);
  tool.node.classList.toggle('failed', Boolean(error));
}

export function showSource(bubble, { url, title }) {
  bubble.extras.append(el('a', { class: 'source', href: url, target: '_blank', rel: 'noopener noreferrer' }, title || url));
}
