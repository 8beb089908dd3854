"""Baking: embedding an Open Badges 3.0 credential in its PNG or SVG image.

Implements section 5.3 ("Baking") of Open Badges 3.0:

* **PNG**: one ``iTXt`` chunk with the keyword ``openbadgecredential``, compression flag 0
  (uncompressed), empty language tag and translated keyword; the text is the credential as
  compact JSON (UTF-8) or the compact JWS. It is written right after ``IHDR``; an existing
  credential chunk is replaced, never duplicated.
* **SVG**: ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the root ``<svg>``
  and an ``<openbadges:credential>`` element as its first child: a JWS goes in the
  ``verify`` attribute, JSON in a CDATA section.

Unbaking reads untrusted files, so it is strict: PNG signature, chunk structure and every
CRC are checked, sizes are limited, a compressed or duplicated credential is refused, and
an SVG whose ``DOCTYPE`` declares anything of its own (entities, elements) or that uses
an undefined entity is refused before anything is expanded (the parser is the standard
library's expat with DTD handlers that raise, which gives the protection ``defusedxml``
would). A ``DOCTYPE`` that only names its DTD, as SVG 1.1 files have, is accepted; the DTD is
never read. Errors are :class:`BakingError`.

Legacy Open Badges 2.0 baking (the PNG ``openbadges`` keyword, the SVG
``<openbadges:assertion>`` element in ``http://openbadges.org``) is not read: such images
unbake to ``None``.
"""

from __future__ import annotations

import json
import re
import struct
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal
from xml.parsers import expat

from app.vc.errors import VCError

__all__ = [
    "CREDENTIAL_KEYWORD",
    "DEFAULT_MAX_SIZE",
    "OB3_NAMESPACE",
    "PNG_SIGNATURE",
    "BakingError",
    "bake_png",
    "bake_svg",
    "detect_and_unbake",
    "unbake_png",
    "unbake_svg",
]


class BakingError(VCError):
    """An image cannot be baked or unbaked (not a PNG/SVG, corrupt, ambiguous or too big)."""


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
"""The eight bytes every PNG file starts with."""

CREDENTIAL_KEYWORD = "openbadgecredential"
"""The PNG ``iTXt`` keyword of an Open Badges 3.0 credential."""

OB3_NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
"""The XML namespace of the SVG ``<openbadges:credential>`` element."""

DEFAULT_MAX_SIZE = 2_000_000
"""Default limit, in bytes (or characters), of an image read by the unbake functions."""

_KEYWORD = CREDENTIAL_KEYWORD.encode("latin-1")
_LEGACY_KEYWORD = b"openbadges"
_TEXT_CHUNKS = (b"iTXt", b"tEXt", b"zTXt")
_MAX_CHUNK_LENGTH = 2**31 - 1
_CHUNK_TYPE_RE = re.compile(rb"^[A-Za-z]{4}$")
_JWS_RE = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*$")

_SVG_NAMESPACE = "http://www.w3.org/2000/svg"
_NS_SEP = " "
_CREDENTIAL_NAME = f"{OB3_NAMESPACE}{_NS_SEP}credential"
_PREFIX = "openbadges"


# --------------------------------------------------------------------------- helpers


def _credential_text(credential: Mapping[str, Any] | str) -> tuple[str, bool]:
    """Return ``(text, is_jws)`` for a credential given as a JSON object or a compact JWS."""
    if isinstance(credential, str):
        if not _JWS_RE.match(credential):
            raise BakingError(
                "a credential given as a string must be a compact JWS "
                "(three base64url segments); pass a JSON credential as a dict"
            )
        return credential, True
    if isinstance(credential, Mapping):
        try:
            text = json.dumps(
                credential, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            )
        except (TypeError, ValueError) as exc:
            raise BakingError(f"the credential cannot be serialised as JSON: {exc}") from exc
        return text, False
    raise BakingError(
        f"the credential must be a dict or a compact JWS string, not {type(credential).__name__}"
    )


# --------------------------------------------------------------------------- PNG


@dataclass(frozen=True)
class _Chunk:
    type: bytes
    data: bytes
    start: int  # offset of the length field
    end: int  # offset just past the CRC


def _chunks(png: bytes) -> list[_Chunk]:
    """Parse and validate the chunk structure of a PNG (signature, lengths, CRCs, order)."""
    if not isinstance(png, bytes | bytearray | memoryview):
        raise BakingError(f"a PNG must be bytes, not {type(png).__name__}")
    png = bytes(png)
    if not png.startswith(PNG_SIGNATURE):
        raise BakingError("not a PNG image (the PNG signature is missing)")
    chunks: list[_Chunk] = []
    pos = len(PNG_SIGNATURE)
    total = len(png)
    while True:
        if pos == total:
            raise BakingError("corrupt PNG: the file ends without an IEND chunk")
        if total - pos < 12:
            raise BakingError(f"corrupt PNG: truncated chunk header at byte {pos}")
        (length,) = struct.unpack_from(">I", png, pos)
        ctype = png[pos + 4 : pos + 8]
        if length > _MAX_CHUNK_LENGTH:
            raise BakingError(f"corrupt PNG: chunk length {length} at byte {pos} is too large")
        if not _CHUNK_TYPE_RE.match(ctype):
            raise BakingError(f"corrupt PNG: invalid chunk type {ctype!r} at byte {pos}")
        end = pos + 12 + length
        if end > total:
            raise BakingError(
                f"corrupt PNG: the {ctype.decode('ascii')} chunk at byte {pos} is truncated"
            )
        data = png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack_from(">I", png, pos + 8 + length)
        if zlib.crc32(ctype + data) != crc:
            raise BakingError(
                f"corrupt PNG: wrong CRC in the {ctype.decode('ascii')} chunk at byte {pos}"
            )
        if not chunks and ctype != b"IHDR":
            raise BakingError("corrupt PNG: the first chunk is not IHDR")
        if chunks and ctype == b"IHDR":
            raise BakingError("corrupt PNG: more than one IHDR chunk")
        chunks.append(_Chunk(ctype, data, pos, end))
        pos = end
        if ctype == b"IEND":
            break
    if pos != total:
        raise BakingError(f"corrupt PNG: {total - pos} bytes of data after the IEND chunk")
    if len(chunks[0].data) != 13:
        raise BakingError("corrupt PNG: the IHDR chunk must be 13 bytes long")
    if not any(chunk.type == b"IDAT" for chunk in chunks):
        raise BakingError("corrupt PNG: no IDAT chunk")
    return chunks


def _keyword(chunk: _Chunk) -> bytes | None:
    """The keyword of a text chunk (``iTXt``/``tEXt``/``zTXt``), else ``None``."""
    if chunk.type not in _TEXT_CHUNKS:
        return None
    keyword, sep, _ = chunk.data.partition(b"\x00")
    return keyword if sep else None


def _chunk_bytes(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


def bake_png(png: bytes, credential: dict[str, Any] | str) -> bytes:
    """Bake a credential into a PNG image.

    Any existing ``openbadgecredential`` text chunk is removed, as is a legacy Open Badges
    2.0 ``openbadges`` chunk (an image must not carry two different assertions); then one
    uncompressed ``iTXt`` chunk is inserted right after ``IHDR``. All other chunks, the
    image data included, are copied unchanged.

    Args:
        png: The PNG image.
        credential: The credential as a JSON object (written as compact UTF-8 JSON) or a
            compact JWS (VC-JWT) string.

    Returns:
        The baked PNG.

    Raises:
        BakingError: ``png`` is not a valid PNG (signature, chunk structure, CRC), or the
            credential is neither a JSON-serialisable dict nor a compact JWS.
    """
    text, _ = _credential_text(credential)
    chunks = _chunks(png)
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BakingError(f"the credential is not valid Unicode text: {exc}") from exc
    itxt = _KEYWORD + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + encoded
    if len(itxt) > _MAX_CHUNK_LENGTH:
        raise BakingError("the credential is too large for a PNG chunk")
    source = bytes(png)
    out = [PNG_SIGNATURE]
    for chunk in chunks:
        if _keyword(chunk) in (_KEYWORD, _LEGACY_KEYWORD):
            continue
        out.append(source[chunk.start : chunk.end])
        if chunk.type == b"IHDR":
            out.append(_chunk_bytes(b"iTXt", itxt))
    return b"".join(out)


def unbake_png(png: bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> str | None:
    """Extract the Open Badges 3.0 credential baked into a PNG image.

    The whole file is validated (signature, chunk structure, every CRC). A legacy Open
    Badges 2.0 ``openbadges`` chunk is deliberately ignored: an image that carries only
    such a chunk returns ``None``, as does an image without any credential.

    Args:
        png: The PNG image (untrusted).
        max_size: The largest accepted file, in bytes.

    Returns:
        The credential text (JSON or compact JWS), or ``None`` if there is none.

    Raises:
        BakingError: The file is too large, not a PNG or corrupt; there are two or more
            ``openbadgecredential`` chunks; the credential is in a ``tEXt``/``zTXt``
            chunk, compressed, empty or not UTF-8.
    """
    if len(png) > max_size:
        raise BakingError(f"the image is larger than the {max_size}-byte limit")
    found = [chunk for chunk in _chunks(png) if _keyword(chunk) == _KEYWORD]
    if not found:
        return None
    if len(found) > 1:
        raise BakingError(
            f"the PNG has {len(found)} openbadgecredential chunks; exactly one is allowed"
        )
    chunk = found[0]
    if chunk.type != b"iTXt":
        raise BakingError(
            f"the credential is in a {chunk.type.decode('ascii')} chunk; it must be iTXt"
        )
    rest = chunk.data[len(_KEYWORD) + 1 :]
    if len(rest) < 2:
        raise BakingError("corrupt openbadgecredential iTXt chunk (no compression fields)")
    if rest[0] != 0 or rest[1] != 0:
        raise BakingError("the openbadgecredential iTXt chunk is compressed; it must not be")
    parts = rest[2:].split(b"\x00", 2)
    if len(parts) != 3:
        raise BakingError(
            "corrupt openbadgecredential iTXt chunk (language tag or translated keyword "
            "not terminated)"
        )
    try:
        text = parts[2].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BakingError(f"the baked credential is not UTF-8: {exc}") from exc
    if not text.strip():
        raise BakingError("the openbadgecredential iTXt chunk is empty")
    return text


# --------------------------------------------------------------------------- SVG


@dataclass
class _SvgScan:
    """What one strict expat pass over an SVG found (offsets: bytes of the UTF-8 input)."""

    root_start: int = -1
    root_name: str = ""
    root_declarations: dict[str, str] = field(default_factory=dict)
    count: int = 0  # credential elements
    credentials: list[tuple[int, int]] = field(default_factory=list)  # (start, end) offsets
    verify: str | None = None
    text_parts: list[str] = field(default_factory=list)


def _refuse_dtd(*_: object) -> None:
    raise BakingError("the SVG has a DOCTYPE or entity declaration; refusing to parse it")


def _check_doctype(
    _name: str, _system_id: str | None, _public_id: str | None, has_internal_subset: int
) -> None:
    """A DOCTYPE that only names its DTD (as SVG 1.1 files do) is fine: the DTD is never
    read. One with declarations of its own (entities, elements) is refused."""
    if has_internal_subset:
        raise BakingError(
            "the SVG has a DOCTYPE with declarations of its own (entities); refusing to parse it"
        )


def _refuse_undefined_entity(name: str, _is_parameter: int) -> None:
    raise BakingError(f"the SVG uses the entity &{name}; that it does not define; refusing it")


def _refuse_external_entity(*_: object) -> int:
    raise BakingError("the SVG references an external entity; refusing to load it")


def _tag_end(data: bytes, start: int) -> int:
    """Offset just past the ``>`` of the tag starting at ``start`` (quotes respected)."""
    quote = 0
    for pos in range(start + 1, len(data)):
        byte = data[pos]
        if quote:
            if byte == quote:
                quote = 0
        elif byte in (0x22, 0x27):
            quote = byte
        elif byte == 0x3E:
            return pos + 1
    raise BakingError("malformed SVG: unterminated tag")


def _scan_svg(source: str | bytes, *, locate: bool = False) -> _SvgScan:
    """Parse an SVG strictly (no DTD, no entities) and find the root and credential.

    Text is parsed as UTF-8 whatever its XML declaration says (expat's rule for ``str``).
    Bytes are decoded as their declaration says. With ``locate`` (text only), the byte
    offsets of the credential elements in the UTF-8 encoding are recorded, for baking.
    """
    data = source.encode("utf-8") if locate and isinstance(source, str) else b""
    if locate and not data:
        raise BakingError("only a non-empty SVG text can be baked")
    scan = _SvgScan()
    parser = expat.ParserCreate(namespace_separator=_NS_SEP)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartDoctypeDeclHandler = _check_doctype
    parser.SkippedEntityHandler = _refuse_undefined_entity
    parser.EntityDeclHandler = _refuse_dtd
    parser.UnparsedEntityDeclHandler = _refuse_dtd
    parser.ExternalEntityRefHandler = _refuse_external_entity
    pending: dict[str, str] = {}
    depth = 0
    inside: list[tuple[int, int]] = []  # the open credential: (start, end of start tag)

    def start_ns(prefix: str | None, uri: str | None) -> None:
        pending[prefix or ""] = uri or ""

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth
        offset = parser.CurrentByteIndex
        if depth == 0:
            scan.root_start = offset
            scan.root_name = name
            scan.root_declarations = dict(pending)
        pending.clear()
        if inside:
            raise BakingError("malformed baked SVG: an element inside the credential element")
        if name == _CREDENTIAL_NAME:
            if scan.count:
                raise BakingError("the SVG has two or more credential elements")
            scan.count += 1
            scan.verify = attributes.get("verify")
            inside.append((offset, _tag_end(data, offset) if locate else 0))
        depth += 1

    def end(name: str) -> None:
        nonlocal depth
        depth -= 1
        if inside and name == _CREDENTIAL_NAME:
            begin, start_tag_end = inside.pop()
            if locate:
                if data[start_tag_end - 2 : start_tag_end] == b"/>":
                    # an empty-element tag: expat reports its end just past the tag
                    scan.credentials.append((begin, start_tag_end))
                else:
                    scan.credentials.append((begin, _tag_end(data, parser.CurrentByteIndex)))

    def characters(text: str) -> None:
        if inside:
            scan.text_parts.append(text)

    parser.StartNamespaceDeclHandler = start_ns
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = characters
    try:
        parser.Parse(source, True)
    except expat.ExpatError as exc:
        raise BakingError(
            f"malformed SVG: {expat.ErrorString(exc.code)} at line {exc.lineno}"
        ) from exc
    if scan.root_name not in (f"{_SVG_NAMESPACE}{_NS_SEP}svg", "svg"):
        raise BakingError("not an SVG image (the root element is not <svg>)")
    return scan


def _scan_result(scan: _SvgScan) -> str | None:
    if not scan.count:
        return None
    content = "".join(scan.text_parts).strip()
    if scan.verify is not None:
        if content:
            raise BakingError(
                "the credential element has both a verify attribute and content; ambiguous"
            )
        verify = scan.verify.strip()
        if not verify:
            raise BakingError("the credential element has an empty verify attribute")
        return verify
    if not content:
        raise BakingError("the credential element is empty")
    return content


def _svg_source(svg: str | bytes, max_size: int) -> str | bytes:
    if isinstance(svg, str):
        if len(svg) > max_size:
            raise BakingError(f"the image is larger than the {max_size}-character limit")
        try:
            svg.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise BakingError(f"the SVG is not valid Unicode text: {exc}") from exc
        return svg
    if isinstance(svg, bytes | bytearray | memoryview):
        if len(svg) > max_size:
            raise BakingError(f"the image is larger than the {max_size}-byte limit")
        return bytes(svg)
    raise BakingError(f"an SVG must be str or bytes, not {type(svg).__name__}")


def unbake_svg(svg: str | bytes, *, max_size: int = DEFAULT_MAX_SIZE) -> str | None:
    """Extract the Open Badges 3.0 credential baked into an SVG image.

    The SVG is parsed with expat, refusing a ``DOCTYPE`` with declarations of its own, any
    entity declaration and any undefined entity before it can be expanded. The
    ``<credential>`` element is recognised by its namespace
    (``https://purl.imsglobal.org/ob/v3p0``), whatever its prefix. A legacy Open Badges
    2.0 ``<openbadges:assertion>`` is ignored (``None``).

    Args:
        svg: The SVG (untrusted), as text or bytes (whose XML declaration gives the
            encoding).
        max_size: The largest accepted document, in bytes (characters for ``str``).

    Returns:
        The JWS from the ``verify`` attribute or the JSON text content of the element
        (surrounding whitespace removed), or ``None`` if there is no credential.

    Raises:
        BakingError: The document is too large, malformed, not an SVG, declares or uses
            entities, has a DOCTYPE with declarations of its own, two or more credential
            elements, or an empty or ambiguous (``verify`` attribute and content) credential
            element.
    """
    return _scan_result(_scan_svg(_svg_source(svg, max_size)))


def _cdata(text: str) -> str:
    # "]]>" cannot occur inside a CDATA section: end the section after "]]" and start a new
    # one for ">"; the parser joins the pieces back into the original text.
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def bake_svg(svg: str, credential: dict[str, Any] | str) -> str:
    """Bake a credential into an SVG image.

    Declares ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` on the root
    ``<svg>`` (unless already declared) and inserts ``<openbadges:credential>`` as its first
    child; any existing credential element is removed first. The rest of the document is
    kept byte for byte. The result is checked by unbaking it again.

    Args:
        svg: The SVG image (well-formed XML; a DOCTYPE may only name its DTD).
        credential: The credential as a JSON object (written as compact JSON in a CDATA
            section) or a compact JWS string (written in the ``verify`` attribute).

    Returns:
        The baked SVG.

    Raises:
        BakingError: The SVG is malformed, declares or uses entities, binds the
            ``openbadges`` prefix to another namespace, or the credential is neither a
            JSON-serialisable dict nor a compact JWS.
    """
    if not isinstance(svg, str):
        raise BakingError(f"an SVG to bake must be str, not {type(svg).__name__}")
    text, is_jws = _credential_text(credential)
    try:
        data = svg.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise BakingError(f"the SVG is not valid Unicode text: {exc}") from exc
    scan = _scan_svg(svg, locate=True)
    declared = scan.root_declarations.get(_PREFIX)
    if declared is not None and declared != OB3_NAMESPACE:
        raise BakingError(
            f"the SVG binds the prefix {_PREFIX!r} to {declared!r}, not {OB3_NAMESPACE!r} "
            "(remove the legacy baking first)"
        )
    if is_jws:
        element = f'<{_PREFIX}:credential verify="{text}"/>'
    else:
        element = f"<{_PREFIX}:credential>{_cdata(text)}</{_PREFIX}:credential>"

    root_end = _tag_end(data, scan.root_start)
    self_closing = data[root_end - 2 : root_end] == b"/>"
    name_match = re.match(rb"<[^\s/>]+", data[scan.root_start :])
    assert name_match is not None  # expat reported an element here
    name_end = scan.root_start + name_match.end()
    root_name = name_match.group()[1:].decode("utf-8")

    # Edits as (start, end, replacement), applied from the end of the document backwards.
    edits: list[tuple[int, int, bytes]] = [(s, e, b"") for s, e in scan.credentials]
    if self_closing:
        edits.append((root_end - 2, root_end, f">{element}</{root_name}>".encode()))
    else:
        edits.append((root_end, root_end, element.encode("utf-8")))
    if declared is None:
        edits.append((name_end, name_end, f' xmlns:{_PREFIX}="{OB3_NAMESPACE}"'.encode()))
    out = bytearray(data)
    for start, end, replacement in sorted(edits, key=lambda edit: edit[0], reverse=True):
        out[start:end] = replacement
    baked = out.decode("utf-8")

    try:
        check = unbake_svg(baked, max_size=len(baked))
    except BakingError as exc:
        raise BakingError(f"the baked SVG does not unbake: {exc}") from exc
    if check != text:
        raise BakingError("the baked SVG does not unbake to the credential")
    return baked


# --------------------------------------------------------------------------- detection


def _looks_like_svg(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 BOM: let expat decide
        return True
    head = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    return head.startswith(b"<") and b"<svg" in data[:65536].lower()


def detect_and_unbake(
    data: bytes, *, max_size: int = DEFAULT_MAX_SIZE
) -> tuple[Literal["png", "svg"], str] | None:
    """Recognise a PNG or SVG image and extract its baked credential.

    Args:
        data: The image file (untrusted).
        max_size: The largest accepted file, in bytes.

    Returns:
        ``("png" | "svg", credential text)``, or ``None`` if the image carries no Open
        Badges 3.0 credential.

    Raises:
        BakingError: The data is neither a PNG nor an SVG, or the image is refused by
            :func:`unbake_png` / :func:`unbake_svg`.
    """
    if len(data) > max_size:
        raise BakingError(f"the image is larger than the {max_size}-byte limit")
    if bytes(data[:8]) == PNG_SIGNATURE:
        text = unbake_png(data, max_size=max_size)
        return None if text is None else ("png", text)
    if _looks_like_svg(bytes(data)):
        text = unbake_svg(bytes(data), max_size=max_size)
        return None if text is None else ("svg", text)
    raise BakingError("not a PNG or SVG image")
