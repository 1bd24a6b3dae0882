// Thumbs up and down under each finished answer of the chat page: POST /api/chat/answers/{id}/feedback.
import { chatHeaders, el } from '../../assets/console.js';

/** Thumbs up and down under an answer: a click rates it (a second click of the other replaces the rating). */
export function addThumbs(bubble, sessionId, messageId, rating, say) {
  if (!messageId || bubble.node.querySelector('.thumbs')) return;
  const thumbs = el('span', { class: 'thumbs' });
  for (const [value, label] of [['up', '👍'], ['down', '👎']]) {
    const button = el('button', { type: 'button', class: `thumb thumb-${value}`, 'aria-pressed': String(rating === value), title: value === 'up' ? 'A good answer' : 'A bad answer' }, label);
    button.addEventListener('click', async () => {
      const response = await fetch(`/api/chat/answers/${encodeURIComponent(messageId)}/feedback`, {
        method: 'POST',
        headers: chatHeaders(sessionId, { 'Content-Type': 'application/json' }),
        body: JSON.stringify({ rating: value }),
      });
      if (!response.ok) { say('The rating could not be stored.'); return; }
      for (const other of thumbs.children) other.setAttribute('aria-pressed', String(other === button));
      say('Thank you.');
    });
    thumbs.append(button);
  }
  bubble.node.append(thumbs);
}
