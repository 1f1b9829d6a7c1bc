"""The System profile's "Board pack (PDF)" clicked in Chromium on the real Oct/Nov-25 store with the real sickness
absence file: the pack is built (its fragment reruns), "Save board pack (PDF)" gives the browser the PDF, and it is
South East London's pack with its sickness section filled; a screenshot of the buttons in place."""
from __future__ import annotations

import shutil
import subprocess

import pytest

from tests.conftest import after_rerun, open_checked, serve_store, wait_for_app_idle, wait_for_quiet


@pytest.fixture(scope="module")
def real_server(real_store_sickness, artifacts):
    yield from serve_store(real_store_sickness)


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils is installed by scripts/test.sh")
def test_profile_board_pack_download(real_server, page, artifacts, tmp_path):
    open_checked(page, real_server.url)  # root first: the app registers its pages
    open_checked(page, f"{real_server.url}/profile?area=QKK")
    button = page.get_by_role("button", name="Board pack (PDF)")
    button.scroll_into_view_if_needed()
    wait_for_quiet(page)  # the scroll has ended: a click during it can miss the button
    after_rerun(page, button.click, timeout_ms=120000)  # the pack is built in the button's fragment
    save = page.get_by_role("button", name="Save board pack (PDF)")
    save.wait_for(timeout=120000)
    wait_for_app_idle(page)
    page.screenshot(path=str(artifacts / "profile_board_pack_button.png"), full_page=False)
    with page.expect_download(timeout=120000) as dl:
        save.click()
    download = dl.value
    assert download.suggested_filename == "board_pack_QKK_2025-11.pdf"
    out = tmp_path / download.suggested_filename
    download.save_as(out)
    assert out.read_bytes()[:5] == b"%PDF-"
    text = " ".join(subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True,
                                   check=True).stdout.split())
    assert "South East London" in text and "Month ending Nov 2025" in text
    # the sickness file (March 2025) is in this store: the section reports it, naming its month
    assert "The latest sickness absence month loaded for this pack is Mar 2025" in text
    assert "Sickness absence rate, Mar 2025" in text
