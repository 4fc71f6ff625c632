"""Pieces every COS answer document shares: the XML content type, the owner and initiator, encoding-type=url."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote
from xml.etree.ElementTree import Element

from localcloud.cos import xml
from localcloud.cos.call import Call
from localcloud.cos.errors import invalid_argument

XML = ("Content-Type", "application/xml")


def identity(call: Call) -> list[tuple[str, str | int | None]]:
    """The ID and DisplayName of the account's root user, as COS names the owner and the initiator of an upload."""
    uin = call.ctx.config.uin
    return [("ID", f"qcs::cam::uin/{uin}:uin/{uin}"), ("DisplayName", uin)]


def owner(call: Call) -> Element:
    return xml.build("Owner", *identity(call))


def initiator(call: Call) -> Element:
    return xml.build("Initiator", *identity(call))


def encoder(call: Call) -> Callable[[str], str]:
    """encoding-type=url: keys, prefixes and markers in the answer are URL-encoded (the Python SDK decodes them)."""
    encoding = call.param("encoding-type")
    if encoding is None or encoding == "":
        return lambda value: value
    if encoding != "url":
        raise invalid_argument(f"encoding-type may only be 'url', got {encoding!r}.")
    return lambda value: quote(value.encode("utf-8"), safe="-_.~/")
