"""ui.state.once_per_run: a value asked for several times in one script run is computed once, and afresh in the
next run (the store's snapshot id, the checked secrets: both must see a change from the next run on)."""
from __future__ import annotations

from streamlit.testing.v1 import AppTest


def _script() -> None:
    import streamlit as st

    from ui import state
    calls = st.session_state.setdefault("calls", [])
    first = state.once_per_run("k", lambda: calls.append(1) or len(calls))
    second = state.once_per_run("k", lambda: calls.append(1) or len(calls))
    other = state.once_per_run("other", lambda: "x")
    st.write(f"first={first} second={second} other={other} calls={len(calls)}")


def test_computed_once_per_run_and_again_next_run():
    at = AppTest.from_function(_script, default_timeout=30)
    at.run()
    assert at.markdown[0].value == "first=1 second=1 other=x calls=1"
    at.run()
    assert at.markdown[0].value == "first=2 second=2 other=x calls=2"


def test_outside_a_run_it_is_computed_each_time():
    from ui import state
    calls = []
    assert [state.once_per_run("k", lambda: calls.append(1) or len(calls)) for _ in range(2)] == [1, 2]


def _secrets_script() -> None:
    import streamlit as st

    from ui import auth
    st.write(f"broken={auth.loaded_secrets().broken} again={auth.loaded_secrets().broken}")


def test_a_secrets_file_broken_between_runs_counts_from_the_next_run(tmp_path, monkeypatch):
    """Fail closed: the checked secrets are read once per run, not once per process."""
    from streamlit import config
    path = tmp_path / "secrets.toml"
    path.write_text('[workforce]\ndisclosure_control = true\n')
    monkeypatch.setattr(config, "is_manually_set", lambda name: name == "secrets.files")
    real = config.get_option
    monkeypatch.setattr(config, "get_option", lambda name: [str(path)] if name == "secrets.files" else real(name))
    at = AppTest.from_function(_secrets_script, default_timeout=30)
    at.run()
    assert at.markdown[0].value == "broken=False again=False"
    path.write_text('[workforce]\ndisclosure_control = true\n[auth\n')  # one missing ]
    at.run()
    assert at.markdown[0].value == "broken=True again=True"
