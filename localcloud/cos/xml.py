"""XML in and out of the COS API: small builders for answers, strict parsers for what clients send."""

from __future__ import annotations

import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping

from localcloud.cos.errors import malformed_xml
from localcloud.numbers import ascii_int

# Characters XML 1.0 cannot carry at all, not even as character references.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(value: str) -> str:
    """`value` with what XML 1.0 cannot carry percent-encoded (a key with a control character, an echoed path)."""
    return _NOT_XML.sub(lambda m: "".join(f"%{b:02X}" for b in m.group().encode("utf-8", "surrogatepass")), value)


def build(tag: str, *children: ET.Element | tuple[str, str | int | None] | None) -> ET.Element:
    """An element whose children are elements or (tag, text) pairs; None children are skipped."""
    element = ET.Element(tag)
    for child in children:
        if child is None:
            continue
        if isinstance(child, ET.Element):
            element.append(child)
        else:
            name, text = child
            sub = ET.SubElement(element, name)
            sub.text = "" if text is None else xml_text(str(text))
    return element


def many(tag: str, items: Iterable[Mapping[str, str | int]]) -> list[ET.Element]:
    return [build(tag, *item.items()) for item in items]


def document(root: ET.Element) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode").encode("utf-8")


def iso_time(when: float) -> str:
    """2026-11-29T04:38:43.000Z, as COS writes LastModified and Initiated."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + f".{int(when * 1000) % 1000:03d}Z"


def http_date(when: float) -> str:
    return time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(when))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


class _DocumentType(Exception):
    """A <!DOCTYPE ...> in a client's document: no DTD, so no entities to expand or fetch."""


class _NoDocumentType(ET.TreeBuilder):
    """The tree builder of every client document: expat reports a DOCTYPE here before reading its internal subset."""

    def doctype(self, name: str, pubid: str | None, system: str | None) -> None:
        raise _DocumentType


def parse(data: bytes, root_tag: str) -> ET.Element:
    """A client's XML document: UTF-8 (COS bodies are; a BOM is allowed), without a document type declaration.

    The text, not the bytes, is parsed, so an encoding declaration cannot make expat read it otherwise; the DTD is
    refused both by looking for it and by the parser itself, whatever the document says its encoding is.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise malformed_xml(f"the document is not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise malformed_xml("the request body is empty")
    upper = text.upper()
    if "<!DOCTYPE" in upper or "<!ENTITY" in upper:
        raise malformed_xml("document type declarations are not allowed")
    parser = ET.XMLParser(target=_NoDocumentType())  # noqa: S314 - DTDs refused, above and by the target
    try:
        parser.feed(text)
        root = parser.close()
    except _DocumentType:
        raise malformed_xml("document type declarations are not allowed") from None
    except ET.ParseError as exc:
        raise malformed_xml(str(exc)) from exc
    if _local(root.tag) != root_tag:
        raise malformed_xml(f"the root element must be <{root_tag}>, got <{_local(root.tag)}>")
    return root


def children(element: ET.Element, tag: str) -> list[ET.Element]:
    return [child for child in element if _local(child.tag) == tag]


def texts(element: ET.Element, tag: str) -> list[str]:
    return [(child.text or "").strip() for child in children(element, tag)]


def text(element: ET.Element, tag: str) -> str | None:
    found = texts(element, tag)
    return found[0] if found else None


def parse_complete(data: bytes) -> list[tuple[int, str]]:
    """CompleteMultipartUpload: [(part number, ETag without quotes)], in the order given."""
    root = parse(data, "CompleteMultipartUpload")
    parts = []
    for part in children(root, "Part"):
        number = text(part, "PartNumber")
        etag = text(part, "ETag")
        value = None if number is None else ascii_int(number, 9)
        if value is None:
            raise malformed_xml("every <Part> needs a <PartNumber> of at most 9 digits")
        if etag is None:
            raise malformed_xml(f"part {value} has no <ETag>")
        parts.append((value, etag.strip('"')))
    if not parts:
        raise malformed_xml("<CompleteMultipartUpload> lists no <Part>")
    return parts


CorsRule = dict[str, list[str] | str]
CORS_METHODS = {"GET", "PUT", "POST", "DELETE", "HEAD"}


def parse_cors(data: bytes) -> list[CorsRule]:
    root = parse(data, "CORSConfiguration")
    rules: list[CorsRule] = []
    for position, element in enumerate(children(root, "CORSRule"), start=1):
        origins = [value for value in texts(element, "AllowedOrigin") if value]
        methods = [value.upper() for value in texts(element, "AllowedMethod") if value]
        if not origins:
            raise malformed_xml(f"CORSRule {position} has no <AllowedOrigin>")
        if not methods:
            raise malformed_xml(f"CORSRule {position} has no <AllowedMethod>")
        unknown = sorted(set(methods) - CORS_METHODS)
        if unknown:
            raise malformed_xml(f"CORSRule {position}: unsupported AllowedMethod {', '.join(unknown)}")
        max_age = text(element, "MaxAgeSeconds")
        if max_age is not None and ascii_int(max_age, 9) is None:
            raise malformed_xml(f"CORSRule {position}: <MaxAgeSeconds> must be a number of seconds")
        rule: CorsRule = {
            "AllowedOrigin": origins,
            "AllowedMethod": methods,
            "AllowedHeader": [value for value in texts(element, "AllowedHeader") if value],
            "ExposeHeader": [value for value in texts(element, "ExposeHeader") if value],
        }
        rule_id = text(element, "ID")
        if rule_id:
            rule["ID"] = rule_id
        if max_age is not None:
            rule["MaxAgeSeconds"] = max_age
        rules.append(rule)
    if not rules:
        raise malformed_xml("<CORSConfiguration> holds no <CORSRule>")
    return rules


def cors_document(rules: list[CorsRule]) -> bytes:
    root = ET.Element("CORSConfiguration")
    for rule in rules:
        element = ET.SubElement(root, "CORSRule")
        if "ID" in rule:
            ET.SubElement(element, "ID").text = str(rule["ID"])
        for name in ("AllowedOrigin", "AllowedMethod", "AllowedHeader", "ExposeHeader"):
            values = rule.get(name, [])
            for value in values if isinstance(values, list) else [values]:
                ET.SubElement(element, name).text = value
        if "MaxAgeSeconds" in rule:
            ET.SubElement(element, "MaxAgeSeconds").text = str(rule["MaxAgeSeconds"])
    return document(root)
