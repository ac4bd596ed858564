"""The HTML fragments a document conversion leaves in table cells (`<p>`, `<i>`, `<ol style=...>`,
`<br>`, entities) turned into paragraphs of runs, keeping italics and every word, no markup."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from workbook.plan.model import Run, normalise_runs

Paragraph = tuple[Run, ...]

_BLOCK_TAGS = {"p", "div", "li", "ol", "ul", "br", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
_ITALIC_TAGS = {"i", "em"}
# [^<>]: a tag never spans another "<", and stopping there keeps the search linear on text with
# many "<a" and no ">"
_NOT_A_TAG = re.compile(r"<(?![A-Za-z/])")
_TAG_HINT = re.compile(r"</?[a-zA-Z][^<>]*>|&[#a-zA-Z0-9]+;")


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
    raw: list[list[Run]] = [[Run(fragment)]]
    if _TAG_HINT.search(fragment):
        p = _CellParser()
        try:
            # A "<" that starts no tag ("<!--", "<?", "<!", "< 5") is text. Left to html.parser,
            # each unterminated one is searched to the end of the cell (quadratic time), and its
            # text would be dropped as a comment or declaration rather than kept.
            p.feed(_NOT_A_TAG.sub("&lt;", fragment))
            p.close()
            raw = p.paragraphs
        except (AssertionError, ValueError):
            # html.parser gives up on some broken markup ('<![x' asserts); the cell's text is
            # then kept as written rather than lost
            pass
    return tuple(para for para in (tidy_paragraph(r) for r in raw) if para)


def tidy_paragraph(runs: list[Run] | tuple[Run, ...]) -> Paragraph:
    """Collapse runs of whitespace to one space across run boundaries and trim the ends.

    A space in a run of its own (Word's "in" + " " + "progressing", HTML's "<i>in</i> <i>...")
    joins the run before it: no run is only a space, so the words come out the same whichever
    way the space was written, and a workbook cell keeps it (openpyxl writes a space-only rich
    text run without xml:space="preserve", and every reader then drops it: "inprogressing")."""
    out: list[Run] = []
    prev_space = True  # drops leading space
    for r in runs:
        text = re.sub(r"\s+", " ", r.text)
        if prev_space:
            text = text.lstrip(" ")
        if not text:
            continue
        prev_space = text.endswith(" ")
        if text == " " and out:
            out[-1] = Run(out[-1].text + text, out[-1].italic)
            continue
        out.append(Run(text, r.italic))
    # trim the trailing space, which may sit in an italic run
    while out and out[-1].text.endswith(" "):
        last = out.pop()
        if last.text.rstrip(" "):
            out.append(Run(last.text.rstrip(" "), last.italic))
    return normalise_runs(out)
