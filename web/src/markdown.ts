// Comments are markdown, rendered safely: the text is HTML-escaped first, then a small
// subset is formatted (paragraphs, line breaks, lists, `code`, fenced code, **bold**,
// *italic*, [links](https://…)). The only tags in the output are the ones made here, and a
// link's target must be http(s) or mailto, so a `<script>` in a comment shows as text.
const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

function inline(escaped: string): string {
  const codes: string[] = []; // finished pieces no later rule may touch
  let out = escaped.replace(/`([^`\n]+)`/g, (_, code: string) => {
    codes.push(`<code>${code}</code>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  out = out.replace(/\[([^\]\n]+)\]\(([^)\s]+)\)/g, (whole, label: string, url: string) => {
    if (!/^(https?:\/\/|mailto:)/i.test(url)) return whole;
    codes.push(`<a href="${url}" rel="noopener noreferrer nofollow" target="_blank">${label}</a>`);
    return `\u0000${codes.length - 1}\u0000`;
  });
  out = out.replace(/\*\*([^*\n]+)\*\*/g, "<strong>$1</strong>");
  out = out.replace(/(^|[^*])\*([^*\n]+)\*/g, "$1<em>$2</em>");
  return out.replace(/\u0000(\d+)\u0000/g, (_, i: string) => codes[Number(i)]);
}

export function renderMarkdown(source: string): string {
  const blocks: string[] = [];
  const parts = escapeHtml(source.replace(/\r\n?/g, "\n")).split(/^```[^\n]*\n?/m);
  parts.forEach((part, index) => {
    if (index % 2 === 1) {
      blocks.push(`<pre><code>${part.replace(/\n$/, "")}</code></pre>`);
      return;
    }
    for (const para of part.split(/\n{2,}/)) {
      const lines = para.split("\n").filter((line) => line.trim() !== "");
      if (lines.length === 0) continue;
      if (lines.every((line) => /^\s*[-*] /.test(line))) {
        const items = lines.map((line) => `<li>${inline(line.replace(/^\s*[-*] /, ""))}</li>`);
        blocks.push(`<ul>${items.join("")}</ul>`);
      } else {
        blocks.push(`<p>${lines.map(inline).join("<br>")}</p>`);
      }
    }
  });
  return blocks.join("");
}
