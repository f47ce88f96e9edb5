"""Measuring a text as Telegram does, and shortening a card's free text to fit."""

from __future__ import annotations

from bot.conversation.text import CAPTION_LIMIT, fit_field, fits, shown_length


def test_length_is_code_points_after_entity_parsing() -> None:
    assert shown_length("<b>🕯</b> &lt;x&gt; &amp;\n") == 7
    assert fits("😀" * 4096) and not fits("😀" * 4097)
    assert fits("<i>" + "&amp;" * 4096 + "</i>")
    assert fits("é" * 1024, CAPTION_LIMIT) and not fits("é" * 1025, CAPTION_LIMIT)


def test_a_long_field_is_cut_with_an_ellipsis_just_enough_to_fit() -> None:
    def render(value: str) -> str:
        return f"<b>Title</b>\n{value.replace('&', '&amp;')}"

    short = "🕯" * 100
    assert fit_field(render, short) == render(short)
    text = fit_field(render, "&" * 5000)
    assert fits(text) and shown_length(text) == 4096 and text.endswith("&amp;…")
