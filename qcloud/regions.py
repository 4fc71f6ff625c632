"""The COS regions the portal offers, in the order the region picker shows them."""

from __future__ import annotations

REGIONS: dict[str, str] = {
    "ap-beijing": "Beijing",
    "ap-nanjing": "Nanjing",
    "ap-shanghai": "Shanghai",
    "ap-guangzhou": "Guangzhou",
    "ap-chengdu": "Chengdu",
    "ap-chongqing": "Chongqing",
    "ap-shenzhen-fsi": "Shenzhen Finance",
    "ap-shanghai-fsi": "Shanghai Finance",
    "ap-beijing-fsi": "Beijing Finance",
    "ap-hongkong": "Hong Kong, China",
    "ap-singapore": "Singapore",
    "ap-jakarta": "Jakarta",
    "ap-seoul": "Seoul",
    "ap-bangkok": "Bangkok",
    "ap-tokyo": "Tokyo",
    "na-siliconvalley": "Silicon Valley (West US)",
    "na-ashburn": "Virginia (East US)",
    "sa-saopaulo": "São Paulo",
    "eu-frankfurt": "Frankfurt",
}


def region_name(code: str) -> str:
    """The display name of a region; an unknown code is shown as itself."""
    return REGIONS.get(code, code)


def is_region(code: str) -> bool:
    return code in REGIONS
