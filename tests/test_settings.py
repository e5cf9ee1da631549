"""The typed settings layer: each kind checked with numbers, every [run] key and option fed
random values of the wrong type (hypothesis), and the config file's mistakes through the real
command line, each one sentence with exit code 2."""

from __future__ import annotations

import datetime
import math
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from posesim_cam.commands.run import RUN_SETTINGS, RunOptions
from posesim_cam.config import load_config, obs_scenes
from posesim_cam.errors import UserError
from posesim_cam.settings import Kind, Setting, SettingError, check_table, from_environment
from tests.test_cli import assert_user_error, cli

# One sentence for the problem and one for the remedy, the remedy starting a sentence.
SENTENCES = re.compile(r"^[A-Z$\-\w].*\. [A-Z].*\.$", re.DOTALL)

# What tomllib can hand over for one key: every TOML type, NaN and infinities included.
toml_scalars = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=30),
    st.datetimes(max_value=datetime.datetime(9999, 1, 1)),
    st.dates(),
    st.times(),
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def right_type(setting: Setting, value: Any) -> bool:
    """Whether ``value`` is of the Python type the setting's kind takes (bounds aside)."""
    kind = setting.kind
    if kind is Kind.FLAG:
        return isinstance(value, bool)
    if kind is Kind.INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind is Kind.NUMBER:
        return (
            isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        )
    if kind in (Kind.TEXT, Kind.PATH, Kind.CHOICE):
        return isinstance(value, str)
    if kind is Kind.CAMERA:
        return isinstance(value, (int, str)) and not isinstance(value, bool)
    if kind is Kind.SIZE:
        return isinstance(value, (str, list, tuple))
    return isinstance(value, dict)


@settings(max_examples=60, deadline=None)
@pytest.mark.parametrize("setting", RUN_SETTINGS, ids=lambda s: s.name)
@given(value=toml_values)
def test_every_run_key_takes_only_its_kind_and_says_so_in_one_sentence(
    setting: Setting, value: Any
):
    for table, as_options, named in (
        ({setting.name: value}, False, f"{setting.name} in the config file's [run] table"),
        ({setting.target: value}, True, f"--{setting.name.replace('_', '-')}"),
    ):
        try:
            options = (
                RunOptions.from_settings({}, table)
                if as_options
                else RunOptions.from_settings(table)
            )
        except SettingError as error:
            message = str(error)
            assert message.startswith(named), message
            assert SENTENCES.match(message), message
            assert "\n" not in message
            continue
        assert right_type(setting, value), (setting.name, value)
        assert getattr(options, setting.target) is not None or value is None


@settings(max_examples=200, deadline=None)
@given(table=st.dictionaries(st.text(max_size=12), toml_values, max_size=4))
def test_a_random_run_table_is_options_or_one_sentence(table: dict[str, Any]):
    try:
        RunOptions.from_settings(table)
    except SettingError as error:
        assert SENTENCES.match(str(error)), str(error)


def test_numbers_have_bounds_and_must_be_finite():
    countdown = next(s for s in RUN_SETTINGS if s.name == "countdown")
    assert countdown.check(2.5, "--countdown") == 2.5
    assert countdown.check(0, "--countdown") == 0.0
    for bad in (math.nan, math.inf, -math.inf, -1, 601, "3", True):
        with pytest.raises(
            SettingError, match=r"^--countdown must be a (finite number|number from 0 to 600)"
        ):
            countdown.check(bad, "--countdown")
    port = next(s for s in RUN_SETTINGS if s.name == "control_port")
    assert port.check(65535, "p") == 65535
    for bad in (-1, 65536, 80.0, "8765", False):
        with pytest.raises(SettingError):
            port.check(bad, "p")


def test_flags_are_booleans_only():
    loop = next(s for s in RUN_SETTINGS if s.name == "loop")
    assert loop.check(False, "loop") is False
    for bad in ("no", "false", 0, 1, [], {}):
        with pytest.raises(SettingError, match="must be true or false \\(without quotes\\)"):
            loop.check(bad, "loop")
    # Text that says a flag (an environment variable, a query string) is read as one.
    assert loop.check_text("no", "q") is False and loop.check_text(" 1 ", "q") is True
    with pytest.raises(SettingError):
        loop.check_text("maybe", "q")


def test_sizes_cameras_choices_and_tables():
    size = Setting("size", Kind.SIZE)
    assert size.check("1280x720", "s") == (1280, 720)
    assert size.check(" 640 X 480", "s") == (640, 480)
    assert size.check([320, 240], "s") == (320, 240)
    for bad in ("big", "100x100", "99999x480", [640], [640.0, 480], "0x0", [True, 240]):
        with pytest.raises(SettingError):
            size.check(bad, "s")
    camera = Setting("camera", Kind.CAMERA)
    assert camera.check("2", "c") == 2 and camera.check("/dev/video4", "c") == "/dev/video4"
    for bad in (-1, 64, 1.5, True, []):
        with pytest.raises(SettingError):
            camera.check(bad, "c")
    mode = next(s for s in RUN_SETTINGS if s.name == "player_mode")
    assert mode.check(" Track", "m") == "track"
    with pytest.raises(SettingError, match="one of split, track"):
        mode.check("both", "m")
    scenes = Setting("scenes", Kind.TEXT_TABLE)
    assert scenes.check({"Warm-up": "dance"}, "t") == {"Warm-up": "dance"}
    with pytest.raises(SettingError):
        scenes.check({"Warm-up": 3}, "t")


def test_text_is_bounded_and_paths_are_not_empty():
    text = Setting("obs_text", Kind.TEXT)
    with pytest.raises(SettingError, match="at most 4096 characters"):
        text.check("x" * 5000, "obs_text")
    with pytest.raises(SettingError):
        text.check("a\x00b", "obs_text")
    path = Setting("library", Kind.PATH, stores="library_dir")
    assert path.check("~/t", "l") == Path("~/t").expanduser()
    with pytest.raises(SettingError, match="not empty"):
        path.check("  ", "l")


def test_the_library_and_model_keys_are_the_options_names():
    options = RunOptions.from_settings({"library": "/srv/targets", "model": "/m/encoder.pt"})
    assert options.library_dir == Path("/srv/targets")
    assert options.model_path == Path("/m/encoder.pt")
    # The command line wins over the config file, by field name as click gives it.
    options = RunOptions.from_settings(
        {"countdown": 5}, {"countdown": 1.0, "library_dir": Path("/x")}
    )
    assert options.countdown == 1.0 and options.library_dir == Path("/x")


def test_an_unknown_key_lists_the_known_ones():
    with pytest.raises(SettingError) as caught:
        check_table({"camra": 1}, RUN_SETTINGS, "the config file's [run] table")
    message = str(caught.value)
    assert message.startswith("Unknown key 'camra' in the config file's [run] table. Use one of:")
    assert "camera" in message and "library" in message


def test_environment_variables_are_checked_like_options():
    threads = Setting("POSESIM_POSE_THREADS", Kind.INTEGER, 1, 64, example="POSESIM_POSE_THREADS=2")
    assert from_environment(threads, {"POSESIM_POSE_THREADS": " 3 "}) == 3
    assert from_environment(threads, {}) is None
    for bad in ("two", "0", "65", "1.5", "-2"):
        with pytest.raises(SettingError, match=r"^\$POSESIM_POSE_THREADS must be"):
            from_environment(threads, {"POSESIM_POSE_THREADS": bad})


def test_remedies_start_a_sentence():
    assert str(UserError("The file is gone.", "add it again.")) == "The file is gone. Add it again."
    assert str(UserError("Nobody here")) == "Nobody here."


@pytest.mark.parametrize(
    ("content", "phrase"),
    [
        (
            b'[run]\ncountdown = "3"\n',
            "countdown in the config file's [run] table must be a number",
        ),
        (
            b'[run]\nmirror = "no"\n',
            "mirror in the config file's [run] table must be true or false",
        ),
        (b"[run]\nsize = { w = 1 }\n", "size in the config file's [run] table must be a size"),
        (b"[run]\ncamera = [0]\n", "camera in the config file's [run] table must be"),
        (b"[run]\ncontrol_port = 1e9\n", "control_port in the config file's [run] table must be"),
        (b"[run]\ncountdown = nan\n", "must be a finite number"),
        (b"[run]\ncamera_fps = inf\n", "must be a finite number"),
        (b"[run]\nobs = 4455\n", "obs in the config file's [run] table must be text"),
        (b"run = 3\n", "must be a table"),
        (b"[runn]\ncamera = 1\n", "unknown table or key 'runn'"),
        (b"[obs]\nscene = 1\n", "keys other than scenes"),
        (b'[obs.scenes]\n"Warm-up" = 3\n', "[obs.scenes] must be a table of text values"),
        (b'[run]\ntarget = "caf\xe9"\n', "is not UTF-8 text"),
        (b"[run\n", "is not valid TOML"),
    ],
)
def test_config_file_mistakes_through_the_command_line(tmp_path: Path, content: bytes, phrase: str):
    config = tmp_path / "config.toml"
    config.write_bytes(content)
    result = cli("run", "--config", str(config), "--output", "null")
    assert_user_error(result, phrase)
    assert result.stderr.count("\n") == 1, result.stderr  # nothing printed before it


def test_a_config_file_that_is_a_folder(tmp_path: Path):
    with pytest.raises(UserError, match=r"is a folder\. Give the path of a \.toml file"):
        load_config(tmp_path)


def test_obs_scenes_come_checked(tmp_path: Path):
    config = tmp_path / "config.toml"
    config.write_text('[obs.scenes]\n"Warm-up" = "dance"\n')
    assert obs_scenes(load_config(config)) == {"Warm-up": "dance"}
    assert obs_scenes({}) == {}


def test_command_line_numbers_are_checked_before_anything_starts():
    for args, phrase in (
        (
            ("--countdown", "nan"),
            "--countdown must be a finite number, not nan. Write e.g. --countdown 3.",
        ),
        (("--countdown", "-1"), "--countdown must be a number from 0 to 600"),
        (("--camera-fps", "inf"), "--camera-fps must be a finite number"),
        (("--size", "99999x1"), "--size must be from 160x120 to 7680x4320"),
        (("--camera", "-3"), "--camera must be a camera index from 0 to 63"),
    ):
        result = cli("run", "--output", "null", *args)
        assert_user_error(result, phrase)
        assert result.stderr.count("\n") == 1, result.stderr


def test_a_secret_never_appears_in_its_error():
    password = next(s for s in RUN_SETTINGS if s.name == "obs_password")
    with pytest.raises(SettingError) as caught:
        password.check("p4ss" * 2000, "obs_password in the config file's [run] table")
    assert "p4ss" not in str(caught.value) and "at most 4096 characters" in str(caught.value)
