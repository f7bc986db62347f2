"""The dashboard page in headless Chromium (Debian's chromium + chromedriver, installed
by ``make setup``'s ``browser`` target), driven by selenium over the real scene: the page
must show the blocks with their tiers, the packs' status, the sequencer set and the
dispute, with no script error. A screenshot is saved under the test's tmp_path (and
to ``$ALTROLLUP_DASHBOARD_SCREENSHOT`` when set, e.g. ``docs/img/dashboard.png``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from dashboard_scene import Scene

from agents.dashboard.server import Dashboard
from agents.load.report import LoadReport

pytestmark = pytest.mark.xdist_group("dashboard")

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is a dev extra")
if not (CHROMIUM.exists() and CHROMEDRIVER.exists()):
    pytest.skip("chromium is missing: run `make setup` (target `browser`)", allow_module_level=True)

from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

SNAPSHOT = """
const rows = (selector, read) => Array.from(document.querySelectorAll(selector), read);
return {
  blocks: rows("#blocks-body tr[data-block]",
    (r) => [r.dataset.block, r.dataset.tier, r.innerText]),
  transactions: rows("#transactions-body tr[data-tx]", (r) => r.innerHTML),
  packs: rows("#packs-body tr[data-pack]", (r) => [r.dataset.pack, r.dataset.status, r.innerText]),
  sequencers: rows("#sequencers-body tr[data-sequencer]",
    (r) => [r.dataset.sequencer, r.dataset.selected, r.innerText]),
  games: rows("#disputes-body [data-game]", (g) =>
    [g.dataset.game, g.dataset.status, g.innerText, g.querySelector(".bar > div").style.width]),
  chips: document.getElementById("overview").innerText,
  tps: document.getElementById("tps-value").textContent,
  bars: document.querySelectorAll("#tps-chart rect").length,
  errors: rows(".error", (e) => e.hidden ? null : e.textContent).filter((t) => t),
};
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1440,1320",
        "--hide-scrollbars",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def test_page_shows_blocks_packs_sequencers_and_dispute(
    browser: Any,
    dashboard: Dashboard,
    scene: Scene,
    minted: LoadReport,
    tmp_path: Path,
) -> None:
    browser.get(dashboard.url + "/?interval=1000")
    loaded = ("overview", "blocks", "packs", "disputes", "sequencers")
    WebDriverWait(browser, 30).until(
        lambda d: all(
            d.find_element(By.TAG_NAME, "body").get_attribute(f"data-loaded-{p}") for p in loaded
        )
    )

    # One atomic read of the DOM: the page re-renders every poll, so element handles
    # kept across calls would go stale.
    page = browser.execute_script(SNAPSHOT)

    tiers = {int(number): tier for number, tier, _ in page["blocks"]}
    assert len(tiers) >= 8
    assert tiers.get(1) == "3" and tiers.get(3) == "2" and max(tiers) > 6
    assert tiers[max(tiers)] == "1", "the newest block is only execution-final"
    assert any(n == "1" and "T3 rollup" in text for n, _, text in page["blocks"])
    assert any(minted.contract[2:8].lower() in html.lower() for html in page["transactions"]), (
        "the NFT mints are listed"
    )

    pack_status = {pack: status for pack, status, _ in page["packs"]}
    assert pack_status == {"1": "final", "2": "verified", "3": "posted"}
    assert any(pack == "3" and "1 open" in text for pack, _, text in page["packs"])

    sequencers = page["sequencers"]
    assert {address for address, _, _ in sequencers} == {v.address for v in scene.verifiers}
    assert sum(1 for _, selected, _ in sequencers if selected == "1") == len(scene.sequencers)
    assert all("20 ETH" in text for _, _, text in sequencers)

    games = {game: (status, text, width) for game, status, text, width in page["games"]}
    status, text, width = games[str(scene.game_id)]
    assert status == "in_progress" and "pack 3" in text and "moves" in text
    assert width.endswith("%") and 0 < int(width[:-1]) < 100

    assert "L2 chain 900001" in page["chips"] and "head pack 3" in page["chips"]
    assert float(page["tps"].replace(",", "")) >= 0 and page["bars"] >= 8
    assert not page["errors"], page["errors"]

    errors = [e for e in browser.get_log("browser") if e.get("level") == "SEVERE"]
    assert not errors, errors
    visible = [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".error") if e.is_displayed()]
    assert not visible, visible

    shot = tmp_path / "dashboard.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
    target = os.environ.get("ALTROLLUP_DASHBOARD_SCREENSHOT")
    if target:
        shutil.copyfile(shot, target)
