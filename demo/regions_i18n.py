"""The regions' names in the reader's language, for pages; qcloud.regions keeps the codes and English names Django-free.

The English msgids are qcloud's names, written out again because gettext extracts only literals; a test holds the two
lists to the same codes and names. The translations are the names Tencent Cloud's console uses in each language.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from qcloud.regions import region_name as english_name

REGION_NAMES: dict[str, Promise] = {
    "ap-beijing": _("Beijing"),
    "ap-nanjing": _("Nanjing"),
    "ap-shanghai": _("Shanghai"),
    "ap-guangzhou": _("Guangzhou"),
    "ap-chengdu": _("Chengdu"),
    "ap-chongqing": _("Chongqing"),
    "ap-shenzhen-fsi": _("Shenzhen Finance"),
    "ap-shanghai-fsi": _("Shanghai Finance"),
    "ap-beijing-fsi": _("Beijing Finance"),
    "ap-hongkong": _("Hong Kong, China"),
    "ap-singapore": _("Singapore"),
    "ap-jakarta": _("Jakarta"),
    "ap-seoul": _("Seoul"),
    "ap-bangkok": _("Bangkok"),
    "ap-tokyo": _("Tokyo"),
    "na-siliconvalley": _("Silicon Valley (West US)"),
    "na-ashburn": _("Virginia (East US)"),
    "sa-saopaulo": _("São Paulo"),
    "eu-frankfurt": _("Frankfurt"),
}


def local_region_name(code: str) -> str:
    """The name of a region in the active language; a code we have no name for is shown as qcloud shows it."""
    name = REGION_NAMES.get(code)
    return str(name) if name is not None else english_name(code)
