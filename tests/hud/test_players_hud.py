"""The HUD with several players: a coloured score row per player, their skeletons in their
colours, and the ranked end card. Pixels are read back, as in test_compositor."""

from __future__ import annotations

import numpy as np
import pytest

from posesim_cam.hud import Compositor, HudState, Layout, Phase, PlayerScore, SummaryCard, Theme
from posesim_cam.hud.cards import EndCard, RankingCard
from posesim_cam.hud.layers import Canvas, PlayerScores, ScorePanel
from tests.hud.test_compositor import GREY, grey_camera, person

THEME = Theme()
SIZES = [(640, 480), (1280, 720)]


def count(image: np.ndarray, color: tuple[int, int, int], tolerance: int = 8) -> int:
    return int((np.abs(image.astype(int) - np.array(color)).max(axis=2) <= tolerance).sum())


def lines(*scores: float | None, found: tuple[bool, ...] | None = None) -> tuple[PlayerScore, ...]:
    found = found or (True,) * len(scores)
    return tuple(
        PlayerScore(i, f"P{i + 1}", s, None if s is None else "Good", seen)
        for i, (s, seen) in enumerate(zip(scores, found, strict=True))
    )


def test_each_player_has_a_colour_of_their_own() -> None:
    colours = [THEME.player_color(i) for i in range(4)]
    assert colours[0] == THEME.limb
    assert len(set(colours)) == 4
    assert THEME.player_color(4) == THEME.player_color(1), "a fifth would reuse the second's"


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_a_bar_per_player_in_their_colour_growing_with_their_score(width: int, height: int):
    def drawn(*scores: float) -> np.ndarray:
        image = grey_camera(width, height)
        PlayerScores(Layout(width, height), THEME).draw(
            Canvas(image), HudState(phase=Phase.PLAYING, players=lines(*scores))
        )
        return image

    both = drawn(80.0, 30.0)
    first, second = count(both, THEME.player_color(0)), count(both, THEME.player_color(1))
    assert first > 2 * second > 0, (first, second)
    swapped = drawn(30.0, 80.0)
    assert count(swapped, THEME.player_color(1)) > 2 * count(swapped, THEME.player_color(0))
    # Four players: four rows, so the panel is taller (more rows of changed pixels).
    rows = (drawn(50, 50, 50, 50) != GREY).any(axis=2).any(axis=1).sum()
    assert rows > 1.6 * (drawn(50, 50) != GREY).any(axis=2).any(axis=1).sum()


def test_the_one_player_panel_steps_aside_for_several_and_back() -> None:
    layout = Layout(1280, 720)
    several = HudState(phase=Phase.PLAYING, score=70.0, grade="Good", players=lines(70.0, 40.0))
    image = grey_camera(1280, 720)
    ScorePanel(layout, THEME).draw(Canvas(image), several)
    assert (image == GREY).all()
    composed = Compositor(1280, 720).compose(grey_camera(1280, 720), several)
    assert count(composed, THEME.player_color(1)) > 200


def test_a_player_not_found_has_an_empty_bar() -> None:
    image = grey_camera(1280, 720)
    hud = HudState(phase=Phase.PLAYING, players=lines(90.0, 90.0, found=(True, False)))
    PlayerScores(Layout(1280, 720), THEME).draw(Canvas(image), hud)
    # The dot in their colour stays (who is who), the bar does not fill.
    missing = count(image, THEME.player_color(1))
    assert 0 < missing < count(image, THEME.player_color(0)) / 5


def test_other_players_skeletons_keep_their_colours_when_one_is_missing() -> None:
    pose = person(1280, 720)
    hud = HudState(phase=Phase.PLAYING, other_poses=(None, pose))  # player 2 unseen, 3 seen
    image = Compositor(1280, 720).compose(grey_camera(1280, 720), hud)
    assert count(image, THEME.player_color(2), 20) > 500
    assert count(image, THEME.player_color(1), 20) == 0


def ranked(*rows: tuple[int, float | None, bool]) -> HudState:
    ranking = tuple(
        PlayerScore(player, f"P{player + 1}", score, None if score is None else "Good",
                    new_record=record)
        for player, score, record in rows
    )  # fmt: skip
    return HudState(
        phase=Phase.FINISHED, summary=SummaryCard(score=None, grade="", ranking=ranking)
    )


def test_the_ranked_card_replaces_the_single_end_card() -> None:
    layout = Layout(1280, 720)
    hud = ranked((1, 92.0, False), (0, 40.0, False))
    image = grey_camera(1280, 720)
    EndCard(layout, THEME).draw(Canvas(image), hud)
    assert (image == GREY).all(), "the one-player card draws nothing for a ranked round"
    RankingCard(layout, THEME).draw(Canvas(image), hud)
    # Rows are drawn in the order given (best first): the winner's dot is above the other's.
    ys = {}
    for player in (0, 1):
        mask = np.abs(image.astype(int) - np.array(THEME.player_color(player))).max(axis=2) <= 8
        assert mask.sum() > 100
        ys[player] = np.nonzero(mask)[0].mean()
    assert ys[1] < ys[0]
    single = grey_camera(1280, 720)
    RankingCard(layout, THEME).draw(Canvas(single), HudState(phase=Phase.FINISHED,
                                    summary=SummaryCard(80.0, "Great")))  # fmt: skip
    assert (single == GREY).all(), "nor the ranked card for one player"


def test_a_star_marks_each_new_personal_best() -> None:
    layout = Layout(1280, 720)

    def stars(hud: HudState) -> int:
        image = grey_camera(1280, 720)
        RankingCard(layout, THEME).draw(Canvas(image), hud)
        return count(image, THEME.highlight)

    none = stars(ranked((0, 90.0, False), (1, 50.0, False)))
    one = stars(ranked((0, 90.0, True), (1, 50.0, False)))
    two = stars(ranked((0, 90.0, True), (1, 50.0, True)))
    assert none == 0 < one < two


def test_the_headline_names_the_winner_or_a_tie() -> None:
    layout = Layout(1280, 720)

    def card(hud: HudState) -> np.ndarray:
        image = grey_camera(1280, 720)
        RankingCard(layout, THEME).draw(Canvas(image), hud)
        return image

    ana = card(ranked((0, 90.0, False), (1, 50.0, False)))
    ben = card(ranked((1, 90.0, False), (0, 50.0, False)))
    tie = card(ranked((0, 90.2, False), (1, 89.9, False)))
    nobody = card(ranked((0, None, False), (1, None, False)))
    band = slice(200, 320)  # the headline's rows in the 720p card
    assert (ana[band] != ben[band]).any() and (ana[band] != tie[band]).any()
    assert (tie[band] != nobody[band]).any()
