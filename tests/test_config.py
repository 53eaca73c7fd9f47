"""Settings: validated once, with one clear error naming the bad value."""
from __future__ import annotations

import pytest

from chalicelib import config
from chalicelib.errors import ConfigError


def test_defaults_are_the_eu_member_state_regions_in_dry_run():
    settings = config.from_env({})
    assert settings.allowed_regions == {"eu-west-1", "eu-west-3", "eu-central-1",
                                        "eu-north-1", "eu-south-1", "eu-south-2"}
    assert "eu-west-2" not in settings.allowed_regions  # London is outside the EU
    assert "eu-central-2" not in settings.allowed_regions  # so is Zurich
    assert settings.dry_run is True


def test_a_comma_list_overrides_the_allowed_regions():
    settings = config.from_env({"MONOCYTE_ALLOWED_REGIONS": " eu-west-1, eu-west-2 ,"})
    assert settings.allowed_regions == {"eu-west-1", "eu-west-2"}


@pytest.mark.parametrize("value, named", [
    ("eu-west-1,eu-wset-1", "'eu-wset-1'"),
    ("EU", "'EU'"),
    ("", "is empty"),
    (" , ", "is empty"),
])
def test_bad_regions_stop_start_up_naming_the_value(value, named):
    with pytest.raises(ConfigError) as error:
        config.from_env({"MONOCYTE_ALLOWED_REGIONS": value})
    assert named in str(error.value)
    assert "MONOCYTE_ALLOWED_REGIONS" in str(error.value)


@pytest.mark.parametrize("value, expected", [("true", True), ("FALSE", False), ("0", False),
                                             ("yes", True)])
def test_dry_run_reads_booleans(value, expected):
    assert config.from_env({"MONOCYTE_DRY_RUN": value}).dry_run is expected


def test_a_non_boolean_is_an_error():
    with pytest.raises(ConfigError, match="MONOCYTE_DRY_RUN='maybe'"):
        config.from_env({"MONOCYTE_DRY_RUN": "maybe"})


def test_stages_set_dry_run_on_in_dev_and_off_in_prod():
    import json
    import pathlib

    stages = json.loads((pathlib.Path(__file__).parent.parent / ".chalice" / "config.json")
                        .read_text())["stages"]
    assert stages["dev"]["environment_variables"]["MONOCYTE_DRY_RUN"] == "true"
    assert stages["prod"]["environment_variables"]["MONOCYTE_DRY_RUN"] == "false"


def test_settings_are_immutable():
    settings = config.from_env({})
    with pytest.raises(Exception):
        settings.dry_run = False
