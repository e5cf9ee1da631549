"""The board page in a real headless Chromium, served by the real board over a real Redis: rows
in rank order that move when the ranking changes, names shown as text, a transparent
background on request, and the final ranking."""

from __future__ import annotations

import io
import threading
from collections.abc import Iterator

import numpy as np
import pytest

from posesim_cam.classroom.address import parse_class_url
from posesim_cam.classroom.link import ClassLink
from posesim_cam.clock import Phase
from posesim_cam.commands.classroom import serve_board
from posesim_cam.control.controls import Status
from tests.classroom.redis_server import RedisServer
from tests.classroom.test_link import attempt
from tests.control.browser import chromium, free_port, require_chromium, wait_for
from tests.polling import wait_until

ORDER = """return Array.from(document.querySelectorAll('#players li'))
  .sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top)
  .map(li => li.children[1].textContent).join(',')"""


@pytest.fixture
def board(redis_server: RedisServer) -> Iterator[tuple[str, dict[str, list], list[ClassLink]]]:
    """The board's page URL, each student's score (a one-item list the test changes), and the
    students' links."""
    require_chromium()
    scores: dict[str, list] = {"Ana": [91.0], "Ben <b>": [55.0], "Cy": [72.0]}
    address = parse_class_url(redis_server.url("gym"))
    links = [
        ClassLink(address, name.replace(" <b>", ""), f"m-{name}",
                  lambda s=score: Status("dance", Phase.PLAYING, s[0], None, 30.0, 1)).start()
        for name, score in scores.items()
    ]  # fmt: skip
    pages: list[str] = []
    stop = threading.Event()
    log = io.StringIO()
    thread = threading.Thread(
        target=serve_board, args=(redis_server.url("gym"), free_port(), log, pages.append, stop),
        daemon=True,
    )  # fmt: skip
    thread.start()
    assert wait_until(lambda: pages, 20), log.getvalue()
    try:
        yield pages[0], scores, links
    finally:
        stop.set()
        thread.join(timeout=10)
        for link in links:
            link.close()


def test_rows_follow_the_ranking_live_and_the_final_ranking_shows(board):
    page, scores, links = board
    with chromium(800, 600) as driver:
        order = lambda: driver.execute_script(ORDER)  # noqa: E731
        driver.get(page)
        assert wait_until(lambda: order() == "Ana,Cy,Ben", 20, 0.1), order()
        scores["Ben <b>"][0] = 99.0  # Ben overtakes everyone
        assert wait_until(lambda: order() == "Ben,Ana,Cy", 20, 0.1), order()
        assert driver.execute_script("return document.querySelector('#link').textContent") == "live"
        rows = driver.execute_script("return document.querySelector('#players').innerHTML")
        assert "<b>" not in rows and "&lt;b&gt;" not in rows  # the markup never reached the page
        links[0].submit(attempt(93.0))
        links[2].submit(attempt(80.0))
        finals = "return document.querySelector('#finals').innerText"
        assert wait_until(lambda: "Cy" in driver.execute_script(finals), 20, 0.1)
        text = driver.execute_script(finals)
        assert text.startswith("Final: dance") and text.index("Ana") < text.index("Cy"), text


def test_the_transparent_board_lets_the_scene_through(board):
    import cv2

    page, _, _ = board
    with chromium(800, 600) as driver:
        for query, transparent in (("?transparent", True), ("", False)):
            driver.get(page + query)
            wait_for(driver, "return document.querySelectorAll('#players li').length === 3 || null")
            picture = cv2.imdecode(
                np.frombuffer(driver.get_screenshot_as_png(), np.uint8), cv2.IMREAD_UNCHANGED
            )
            corner = picture[-4, -4]  # below the rows, outside every panel
            alpha = int(corner[3]) if picture.shape[2] == 4 else 255  # opaque: no alpha channel
            assert (alpha == 0) is transparent, corner
