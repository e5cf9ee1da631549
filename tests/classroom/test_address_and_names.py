"""Class URLs and player names: what is accepted, and the one sentence for what is not."""

from __future__ import annotations

import re

import pytest

from posesim_cam.classroom.address import ClassAddress, parse_class_url
from posesim_cam.classroom.names import name_key, player_name, shown_name
from posesim_cam.errors import UserError


def test_a_plain_and_a_tls_url_with_a_password():
    plain = parse_class_url("redis://127.0.0.1:6390/yoga-monday")
    assert plain == ClassAddress("127.0.0.1", 6390, "yoga-monday")
    hosted = parse_class_url("rediss://coach:s%40cret@cache.example.com:6380/class.7")
    assert (hosted.host, hosted.port, hosted.name, hosted.tls) == (
        "cache.example.com", 6380, "class.7", True)  # fmt: skip
    assert (hosted.username, hosted.password) == ("coach", "s@cret")
    assert parse_class_url("redis://localhost/a").port == 6379
    assert parse_class_url("redis://localhost/yoga/").name == "yoga"  # a trailing slash
    # The password never shows: not in str, not in repr.
    assert "s@cret" not in str(hosted) and "s%40cret" not in str(hosted)
    assert "s@cret" not in repr(hosted)
    assert str(hosted) == "rediss://coach:***@cache.example.com:6380/class.7"


@pytest.mark.parametrize(
    ("url", "phrase"),
    [
        ("http://127.0.0.1:6379/yoga", "has 'http'; a class URL starts with redis://"),
        ("127.0.0.1:6379/yoga", "a class URL starts with redis://"),
        ("redis://127.0.0.1:99999/yoga", "port that is not a number"),
        ("redis://127.0.0.1:6379", "names no class"),
        ("redis://127.0.0.1:6379/", "names no class"),
        ("redis://:6379/yoga", "names no host"),
        ("redis://127.0.0.1:6379/yo ga", "class name that is not"),
        ("redis://127.0.0.1:6379/a/b", "class name that is not"),
        ("redis://127.0.0.1:6379/yoga?db=2", "query or fragment"),
        ("", "is empty"),
        ("redis://127.0.0.1:0/yoga", "has port 0"),
        ("redis://127.0.0.1:6379/0", "not a Redis database number"),
    ],
)
def test_a_bad_url_is_one_sentence_with_the_form(url: str, phrase: str):
    with pytest.raises(UserError) as info:
        parse_class_url(url)
    message = str(info.value)
    assert message.startswith("--class ") and phrase in message
    assert "Write it like redis://" in message and "\n" not in message


def test_a_password_is_never_in_an_error():
    with pytest.raises(UserError) as info:
        parse_class_url("rediss://:hunter2@host:6380/a b")
    assert "hunter2" not in str(info.value)


def test_player_names_are_squeezed_and_checked():
    assert player_name("  Ben   K. ") == "Ben K."
    assert player_name("Zoë O'Neill") == "Zoë O'Neill"
    for bad, phrase in (("", "is empty"), ("   ", "is empty"), ("x" * 25, "at most 24"),
                        ("<script>", "characters a name cannot have ('<' '>')"),
                        ("Ana\x1b[31m", "U+001B")):  # fmt: skip
        with pytest.raises(UserError, match=re.escape(phrase)):
            player_name(bad)


def test_names_from_the_network_are_cleaned_before_they_are_shown():
    assert shown_name("<img src=x onerror=alert(1)>") == "img src x onerror alert"  # 24 at most
    assert shown_name("Ana\n\x00Bo") == "Ana Bo"
    assert shown_name("y" * 1000) == "y" * 24
    assert shown_name("<>") is None and shown_name(42) is None and shown_name(None) is None
    assert name_key("Ana ") == name_key("ANA") != name_key("Anna")
