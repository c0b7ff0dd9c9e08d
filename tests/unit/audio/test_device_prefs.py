"""Device choices are remembered in the user's settings file, the rest kept intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent_app.foundation import paths
from agent_app.foundation.config import load_settings
from agent_app.telephony.audio.device_prefs import DevicePrefsError, save_device_choice


def test_choice_is_saved_and_loaded(pulse_home: Path) -> None:
    save_device_choice(microphone="usb-headset-mic", speaker="usb-headset")
    audio = load_settings().settings.audio
    assert (audio.microphone, audio.speaker, audio.ringer) == ("usb-headset-mic", "usb-headset", "")
    save_device_choice(ringer='desk "speaker" 2')
    audio = load_settings().settings.audio
    assert audio.microphone == "usb-headset-mic"
    assert audio.ringer == 'desk "speaker" 2'


def test_other_sections_and_comments_are_kept(pulse_home: Path) -> None:
    path = paths.user_config_file()
    path.parent.mkdir(parents=True)
    path.write_text(
        '# my settings\n[ui]\nlanguage = "es"\n\n'
        '[audio]\nspeaker = "old"\n\n[log]\nlevel = "DEBUG"\n'
    )
    save_device_choice(speaker="new")
    text = path.read_text()
    assert text.startswith('# my settings\n[ui]\nlanguage = "es"\n')
    loaded = load_settings().settings
    assert loaded.audio.speaker == "new"
    assert loaded.ui.language == "es"
    assert loaded.log.level == "DEBUG"


def test_broken_file_is_left_alone(pulse_home: Path) -> None:
    path = paths.user_config_file()
    path.parent.mkdir(parents=True)
    path.write_text("[audio\nspeaker = 1\n")
    with pytest.raises(DevicePrefsError, match="not valid TOML"):
        save_device_choice(speaker="x")
    assert path.read_text() == "[audio\nspeaker = 1\n"
