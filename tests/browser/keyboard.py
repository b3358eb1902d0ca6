"""Driving a page by keyboard only, checking focus as it moves.

:class:`Keyboard` presses Tab (or Shift+Tab) until the focused element matches a CSS
selector.  At every stop it checks what a keyboard user relies on: something is focused
(not the page itself), the focus can be seen (an outline or the service's yellow and
black focus style, not removed), and focus moves in document order, forwards for Tab and
backwards for Shift+Tab, so the tab order follows the page as it reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from playwright.sync_api import Page

#: What is focused, whether its focus shows, and where it is against the previous stop.
FOCUSED = """(selector) => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  const s = getComputedStyle(e);
  const clear = (c) => c === 'transparent' || /^rgba\\(.*,\\s*0\\)$/.test(c);
  const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2
                  && !clear(s.outlineColor);
  const shadow = s.boxShadow !== 'none';
  const previous = window.__froiFocus;
  let order = 0;
  if (previous && previous !== e && previous.isConnected) {
    order = previous.compareDocumentPosition(e) & Node.DOCUMENT_POSITION_FOLLOWING ? 1 : -1;
  }
  window.__froiFocus = e;
  const text = (e.innerText || e.value || e.getAttribute('aria-label') || '').trim();
  return {
    element: e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
             + (e.getAttribute('href') ? '[href=' + e.getAttribute('href') + ']' : '')
             + (e.getAttribute('name') ? '[name=' + e.getAttribute('name') + ']' : ''),
    text: text.replace(/\\s+/g, ' ').slice(0, 60),
    visible: outline || shadow,
    focusVisible: e.matches(':focus-visible'),
    order: order,
    matches: e.matches(selector),
  };
}"""


@dataclass
class Keyboard:
    page: Page
    #: Every stop of the focus, for the failure message and for tests to inspect.
    stops: list[dict[str, Any]] = field(default_factory=list)

    def focused(self, selector: str = "*") -> dict[str, Any] | None:
        info: dict[str, Any] | None = self.page.evaluate(FOCUSED, selector)
        return info

    def tab_to(self, selector: str, *, backwards: bool = False, limit: int = 80) -> int:
        """Tab until the focus is on ``selector``; return how many presses it took."""
        key = "Shift+Tab" if backwards else "Tab"
        direction = -1 if backwards else 1
        path: list[str] = []
        for presses in range(1, limit + 1):
            self.page.keyboard.press(key)
            info = self.focused(selector)
            assert info is not None, f"{key} left nothing focused after {path}"
            self.stops.append(info)
            path.append(info["element"])
            assert info["visible"] and info["focusVisible"], f"focus cannot be seen on {info}"
            assert info["order"] in (0, direction), (
                f"{key} moved focus against the page's order to {info['element']} after {path}"
            )
            if info["matches"]:
                return presses
        raise AssertionError(f"{key} x{limit} never reached {selector}: {path}")

    def press(self, key: str, *, navigates: bool = False) -> None:
        """Press a key on the focused element; wait for the next page if it navigates."""
        if navigates:
            with self.page.expect_navigation():
                self.page.keyboard.press(key)
            # two frames: the new page has scrolled to its fragment and moved the focus
            # starting point there before the next key
            self.page.evaluate(
                "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
            )
        else:
            self.page.keyboard.press(key)

    def type(self, text: str) -> None:
        """Replace the focused field's text, as a person selecting all and typing would."""
        self.page.keyboard.press("Control+A")
        self.page.keyboard.type(text)
