from __future__ import annotations

from qcloud.regions import REGIONS, is_region, region_name

DESIGN_ORDER = [
    "ap-beijing",
    "ap-nanjing",
    "ap-shanghai",
    "ap-guangzhou",
    "ap-chengdu",
    "ap-chongqing",
    "ap-shenzhen-fsi",
    "ap-shanghai-fsi",
    "ap-beijing-fsi",
    "ap-hongkong",
    "ap-singapore",
    "ap-jakarta",
    "ap-seoul",
    "ap-bangkok",
    "ap-tokyo",
    "na-siliconvalley",
    "na-ashburn",
    "sa-saopaulo",
    "eu-frankfurt",
]


def test_it_lists_the_19_regions_in_design_order() -> None:
    assert list(REGIONS) == DESIGN_ORDER


def test_it_gives_every_region_an_english_display_name() -> None:
    assert region_name("ap-guangzhou") == "Guangzhou"
    assert region_name("ap-shenzhen-fsi") == "Shenzhen Finance"
    assert region_name("na-ashburn") == "Virginia (East US)"
    assert all(name and name != code for code, name in REGIONS.items())
    assert len(set(REGIONS.values())) == len(REGIONS)


def test_it_shows_an_unknown_region_as_its_code() -> None:
    assert region_name("mars-olympus") == "mars-olympus"


def test_it_tells_regions_apart_from_other_strings() -> None:
    assert is_region("eu-frankfurt")
    assert not is_region("eu-paris")
    assert not is_region("")
    assert not is_region("AP-BEIJING")
