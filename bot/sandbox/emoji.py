"""The emoji names Baton writes, and a few common ones people type, as characters.

A page without any CDN cannot fetch Slack's emoji images; unknown names stay as `:name:`.
"""

from __future__ import annotations

import re

EMOJI = {
    "alarm_clock": "⏰",
    "calendar": "📆",
    "chart_with_upwards_trend": "📈",
    "chart_with_downwards_trend": "📉",
    "clipboard": "📋",
    "eyes": "👀",
    "file_cabinet": "🗄️",
    "fire": "🔥",
    "hammer_and_wrench": "🛠️",
    "heavy_check_mark": "✔️",
    "heavy_multiplication_x": "✖️",
    "heavy_minus_sign": "➖",
    "hourglass_flowing_sand": "⏳",
    "memo": "📝",
    "newspaper": "📰",
    "no_entry": "⛔",
    "palm_tree": "🌴",
    "pushpin": "📌",
    "rocket": "🚀",
    "rotating_light": "🚨",
    "sparkles": "✨",
    "tada": "🎉",
    "thumbsup": "👍",
    "+1": "👍",
    "warning": "⚠️",
    "wave": "👋",
    "white_check_mark": "✅",
    "x": "❌",
    "zzz": "💤",
}
_NAME = re.compile(r":([a-z0-9_+-]+):")


def emojize(text: str) -> str:
    """Known `:name:` → its character. Safe on escaped HTML: names hold no markup characters."""
    return _NAME.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), text)
