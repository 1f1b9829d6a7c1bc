"""A slider that reports its value WHILE it is dragged (workshop mode), as a small st.components.v2 component.

Streamlit's st.slider sends its value only when released (1.49+), so a room sees nothing move during a drag.
This is a native <input type="range"> (keyboard, screen reader and focus ring come with it) whose JavaScript
sends the value to Python every THROTTLE_MS while it moves and once more on release; Python's callback copies
the value into the lever's state and reruns only the results fragment. No data from users reaches the markup:
the label is set with textContent, numbers are coerced in JavaScript.
"""
from __future__ import annotations

import streamlit as st

THROTTLE_MS = 150

_CSS = """
.lv { font-family: "Source Sans Pro", sans-serif; color: var(--st-text-color, #212b32); padding: 2px 0 6px 0; }
.lv label { display: flex; justify-content: space-between; font-size: 1rem; margin-bottom: 4px; gap: 12px; }
.lv output { font-weight: 700; font-size: 1.1rem; min-width: 4ch; text-align: right; }
.lv input[type=range] { width: 100%; height: 28px; accent-color: #005EB8; margin: 0; }
.lv input[type=range]:focus-visible { outline: 3px solid #FFB81C; outline-offset: 2px; box-shadow: 0 0 0 5px #212b32; }
.lv .ends { display: flex; justify-content: space-between; font-size: 0.8rem; color: #4C6272; }
"""

_JS = """
export default function(component) {
  const { data, setStateValue, parentElement } = component;
  let root = parentElement.querySelector('.lv');
  if (!root) {
    root = document.createElement('div');
    root.className = 'lv';
    const label = document.createElement('label');
    const span = document.createElement('span');
    const out = document.createElement('output');
    label.appendChild(span); label.appendChild(out);
    const input = document.createElement('input');
    input.type = 'range';
    const ends = document.createElement('div');
    ends.className = 'ends';
    ends.appendChild(document.createElement('span')); ends.appendChild(document.createElement('span'));
    root.appendChild(label); root.appendChild(input); root.appendChild(ends);
    parentElement.appendChild(root);
    let last = 0, timer = null, dragging = false;
    const send = () => { timer = null; last = Date.now(); setStateValue('value', Number(input.value)); };
    input.addEventListener('input', () => {
      dragging = true;
      out.textContent = Number(input.value).toLocaleString('en-GB');
      input.setAttribute('aria-valuetext', out.textContent + ' ' + (root.dataset.unit || ''));
      const wait = Number(root.dataset.throttle) - (Date.now() - last);
      if (wait <= 0) { send(); } else if (!timer) { timer = setTimeout(send, wait); }
    });
    input.addEventListener('change', () => {
      dragging = false;
      if (timer) { clearTimeout(timer); timer = null; }
      send();
    });
    root._isDragging = () => dragging;
  }
  const d = data || {};
  const input = root.querySelector('input');
  const out = root.querySelector('output');
  root.querySelector('label span').textContent = String(d.label || '');
  root.dataset.unit = String(d.unit || '');
  root.dataset.throttle = String(Number(d.throttle_ms) || 150);
  input.min = String(Number(d.min) || 0);
  input.max = String(Number(d.max) || 100);
  input.step = String(Number(d.step) || 1);
  input.setAttribute('aria-label', String(d.label || ''));
  const ends = root.querySelectorAll('.ends span');
  ends[0].textContent = Number(d.min || 0).toLocaleString('en-GB');
  ends[1].textContent = Number(d.max || 0).toLocaleString('en-GB');
  if (!root._isDragging() && document.activeElement !== input) {
    input.value = String(Number(d.value) || 0);
  }
  if (!root._isDragging()) {
    out.textContent = Number(input.value).toLocaleString('en-GB');
    input.setAttribute('aria-valuetext', out.textContent + ' ' + (d.unit || ''));
  }
}
"""

_COMPONENT = st.components.v2.component("workforce_live_slider", html="", css=_CSS, js=_JS)


def live_slider(label: str, *, key: str, value: float, min_value: float, max_value: float, step: float,
                unit: str = "", on_change=None, args: tuple = ()) -> float:
    """Draw the live slider; returns its value (the last one sent, or `value` before any move)."""
    def _changed() -> None:
        if on_change is not None:
            on_change(*args)

    res = _COMPONENT(key=key, data={"label": label, "value": value, "min": min_value, "max": max_value,
                                    "step": step, "unit": unit, "throttle_ms": THROTTLE_MS},
                     default={"value": value}, on_value_change=_changed, height="content")
    v = getattr(res, "value", None)
    return value if v is None else v
