"""Text from outside the code (a query value, a file or scenario name, a message that quotes one) made safe to
show through Streamlit's Markdown (st.markdown, st.info/warning/error/success, st.caption, headers).

Every Markdown character is backslash-escaped, so the text shows as typed and can never become a link, an image,
emphasis, a heading, a list, a LaTeX formula or a colour directive; line breaks become spaces (a value cannot
start a new block). Use it for every value a person or a file supplied; constant sentences need nothing.
"""
from __future__ import annotations

import re

# CommonMark punctuation that can start or end formatting, plus $ (LaTeX) and : (Streamlit's :red[...],
# :material/x: and emoji shortcodes). Quotes, = and & are left alone: with [ ( < and line breaks neutralised they
# cannot start a link, a heading or HTML, and names such as "Guy's and St Thomas'" read as published.
MARKDOWN_SPECIAL = "\\`*_{}[]()#+-.!|<>~$:"


# Streamlit's Markdown turns bare addresses into links even when every character is escaped ("http://x",
# "www.x", "a@b.x"; character references too). A WORD JOINER (U+2060, shows as nothing, never a break) after a
# colon and before a dot or @ breaks the pattern; the text still reads the same.
WORD_JOINER = "\u2060"


def md(text: object) -> str:
    """`text` escaped for Markdown inside a sentence: shown literally, never as a link, image or formatting."""
    flat = re.sub(r"[\r\n\t\v\f\u2028\u2029]+", " ", str(text))
    out = []
    for ch in flat:
        if ch in ".@":
            out.append(WORD_JOINER)
        out.append("\\" + ch if ch in MARKDOWN_SPECIAL else ch)
        if ch == ":":
            out.append(WORD_JOINER)
    return "".join(out)


def quoted(text: object) -> str:
    """`text` as an inline code span: shown exactly as typed (Markdown does not act inside code, and bare
    addresses are not turned into links there). Replaces f"{value!r}" in messages, which escaped nothing."""
    flat = re.sub(r"[\r\n\t\v\f\u2028\u2029]+", " ", str(text))
    flat = flat.replace(":", ":" + WORD_JOINER)  # Streamlit rewrites :material/x: shortcodes even inside code
    fence = "`" * (max((len(m) for m in re.findall(r"`+", flat)), default=0) + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or not flat.strip() else ""
    return f"{fence}{pad}{flat}{pad}{fence}"
