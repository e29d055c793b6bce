"""Each footprint's rules and reasons as wrapped text (the Check table cuts them to a column)."""

from __future__ import annotations

from layers.text import escape_text
from spatial.thresholds import LEVEL_LABELS

__all__ = ["reasons_html"]

#: Verdict word and mark: readable without colour.
_MARK = {True: ("\u2714", "pass"), False: ("\u2718", "fail"), None: ("\u2013", "n/a")}

_CSS = """<style>
.fp-reasons{font-size:.9rem;line-height:1.35}
.fp-reasons h4{font-size:1rem;margin:.6rem 0 .2rem 0}
.fp-reasons ul{margin:0 0 .4rem 1.1rem;padding:0}
.fp-reasons li{margin:.1rem 0;overflow-wrap:anywhere}
.fp-reasons .fail{font-weight:700;text-decoration:underline}
</style>"""


def reasons_html(reports) -> str:
    """HTML (escaped) listing every rule of every footprint: mark, verdict word, rule and reason."""
    from ui.tables import RULE_LABELS

    parts = [_CSS, '<div class="fp-reasons">']
    for r in reports:
        verdict = "fails a test" if r.failures() else "meets the tests"
        parts.append(f"<h4>{escape_text(r.name)} <small>({escape_text(LEVEL_LABELS.get(r.level, r.level))}, "
                     f"{r.population:,} residents): {verdict}</small></h4><ul>")
        for c in r.checks:
            mark, word = _MARK[c.passed]
            cls = ' class="fail"' if c.passed is False else ""
            parts.append(f"<li><span{cls}>{mark} {word}</span> <b>{escape_text(RULE_LABELS.get(c.rule, c.rule))}"
                         f"</b>: {escape_text(c.reason)}</li>")
        parts.append("</ul>")
    parts.append("</div>")
    return "".join(parts)
