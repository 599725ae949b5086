/** Markdown (cells and text/markdown outputs) to sanitized HTML in the page itself. */
import DOMPurify from 'dompurify';
import { marked } from 'marked';

export function renderMarkdown(el: HTMLElement, text: string): void {
  const html = marked.parse(text, { async: false, gfm: true }) as string;
  el.innerHTML = DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ['style', 'form', 'iframe'], FORBID_ATTR: ['style'] });
  for (const a of el.querySelectorAll('a')) {
    a.target = '_blank';
    a.rel = 'noopener noreferrer';
  }
}
