"""The HTML fragments a document conversion leaves in table cells (`<p>`, `<i>`, `<ol style=...>`,
`<br>`, entities) turned into paragraphs of runs, keeping italics and every word, no markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from workbook.model import Run, normalise_runs

Paragraph = tuple[Run, ...]

_BLOCK_TAGS = {"p", "div", "li", "ol", "ul", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
_ITALIC_TAGS = {"i", "em"}
_TAG_HINT = re.compile(r"</?[a-zA-Z][^>]*>|&[#a-zA-Z0-9]+;")


class _CellParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[list[Run]] = [[]]
        self.italic = 0

    def _break(self) -> None:
        if self.paragraphs[-1]:
            self.paragraphs.append([])

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ITALIC_TAGS:
            self.italic += 1
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._break()

    def handle_endtag(self, tag: str) -> None:
        if tag in _ITALIC_TAGS:
            self.italic = max(0, self.italic - 1)
        elif tag in _BLOCK_TAGS:
            self._break()

    def handle_data(self, data: str) -> None:
        if data:
            self.paragraphs[-1].append(Run(data, self.italic > 0))


def parse_cell(fragment: str) -> tuple[Paragraph, ...]:
    """Paragraphs of runs for one cell. Whitespace is collapsed the way a browser would."""
    if not fragment or not fragment.strip():
        return ()
    if _TAG_HINT.search(fragment):
        p = _CellParser()
        p.feed(fragment)
        p.close()
        raw = p.paragraphs
    else:
        raw = [[Run(fragment)]]
    return tuple(para for para in (tidy_paragraph(r) for r in raw) if para)


def tidy_paragraph(runs: list[Run] | tuple[Run, ...]) -> Paragraph:
    """Collapse runs of whitespace to one space across run boundaries and trim the ends."""
    out: list[Run] = []
    prev_space = True  # drops leading space
    for r in runs:
        text = re.sub(r"\s+", " ", r.text)
        if prev_space:
            text = text.lstrip(" ")
        if not text:
            continue
        prev_space = text.endswith(" ")
        out.append(Run(text, r.italic))
    # trim the trailing space, which may sit in an italic run
    while out and out[-1].text.endswith(" "):
        last = out.pop()
        if last.text.rstrip(" "):
            out.append(Run(last.text.rstrip(" "), last.italic))
    return normalise_runs(out)
