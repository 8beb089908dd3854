"""Baking credentials into PNG and SVG images (Open Badges 3.0, section 5.3)."""

from __future__ import annotations

import json
import struct
import zlib
from typing import Any
from xml.etree import ElementTree

import pytest

from app.vc.baking import (
    OB3_NAMESPACE,
    BakingError,
    bake_png,
    bake_svg,
    detect_and_unbake,
    unbake_png,
    unbake_svg,
)
from app.vc.errors import VCError

SIGNATURE = b"\x89PNG\r\n\x1a\n"
SVG_NS = "http://www.w3.org/2000/svg"

CREDENTIAL: dict[str, Any] = {
    "@context": [
        "https://www.w3.org/ns/credentials/v2",
        "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
    ],
    "id": "urn:uuid:0b5f6a84-5c3e-4d7b-9d8e-5a1f1c3e2b10",
    "type": ["VerifiableCredential", "OpenBadgeCredential"],
    "issuer": {"id": "https://osaamispassi.example/issuer", "name": "Työpaja Ääni"},
    "validFrom": "2026-11-01T12:00:00Z",
    "credentialSubject": {
        "type": ["AchievementSubject"],
        "achievement": {"id": "https://osaamispassi.example/a/1", "name": "Puutyö 1"},
    },
}
JWS = "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0.eyJpc3MiOiJ4In0.c2lnbmF0dXJl"
OTHER_JWS = "eyJhbGciOiJSUzI1NiJ9.eyJqdGkiOiJ5In0.b3RoZXI"


# --------------------------------------------------------------------------- helpers


def chunk(ctype: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + ctype + data + struct.pack(">I", zlib.crc32(ctype + data))


WIDTH, HEIGHT = 5, 3
RAW = b"".join(
    b"\x00" + b"".join(bytes((x * 50, y * 80, 120)) for x in range(WIDTH)) for y in range(HEIGHT)
)


def make_png(*extra: bytes, idat_parts: int = 2) -> bytes:
    """A real 5x3 RGB PNG (image data split over several IDAT chunks), with extra chunks
    inserted after IHDR."""
    compressed = zlib.compress(RAW, 9)
    cut = len(compressed) // idat_parts
    idats = [compressed[:cut], compressed[cut:]] if idat_parts == 2 else [compressed]
    return b"".join(
        [
            SIGNATURE,
            chunk(b"IHDR", struct.pack(">IIBBBBB", WIDTH, HEIGHT, 8, 2, 0, 0, 0)),
            *extra,
            chunk(b"tEXt", b"Software\x00test"),
            *(chunk(b"IDAT", part) for part in idats),
            chunk(b"IEND", b""),
        ]
    )


def parse_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    """Independent PNG chunk parser for the assertions; checks every CRC."""
    assert png[:8] == SIGNATURE
    pos, chunks = 8, []
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos : pos + 4])
        ctype, data = png[pos + 4 : pos + 8], png[pos + 8 : pos + 8 + length]
        (crc,) = struct.unpack(">I", png[pos + 8 + length : pos + 12 + length])
        assert crc == zlib.crc32(ctype + data), f"bad CRC in {ctype!r}"
        chunks.append((ctype, data))
        pos += 12 + length
    assert pos == len(png)
    assert chunks[-1][0] == b"IEND"
    return chunks


def itxt(keyword: bytes, text: bytes, *, compressed: bool = False) -> bytes:
    body = zlib.compress(text) if compressed else text
    flag = b"\x01\x00" if compressed else b"\x00\x00"
    return chunk(b"iTXt", keyword + b"\x00" + flag + b"\x00\x00" + body)


def credential_chunks(png: bytes) -> list[tuple[bytes, bytes]]:
    return [
        (ctype, data)
        for ctype, data in parse_chunks(png)
        if ctype in (b"iTXt", b"tEXt", b"zTXt") and data.startswith(b"openbadgecredential\x00")
    ]


def corrupt_crc(png: bytes, chunk_type: bytes) -> bytes:
    """Flip one data byte of the first ``chunk_type`` chunk, keeping its stored CRC."""
    pos = png.index(chunk_type) + 4
    return png[:pos] + bytes([png[pos] ^ 0xFF]) + png[pos + 1 :]


# --------------------------------------------------------------------------- PNG


def test_bake_png_json_round_trip() -> None:
    baked = bake_png(make_png(), CREDENTIAL)
    text = unbake_png(baked)
    assert text is not None
    assert json.loads(text) == CREDENTIAL
    assert text == json.dumps(CREDENTIAL, ensure_ascii=False, separators=(",", ":"))


def test_bake_png_jws_round_trip() -> None:
    assert unbake_png(bake_png(make_png(), JWS)) == JWS


def test_baked_png_has_one_uncompressed_itxt_chunk_right_after_ihdr() -> None:
    baked = bake_png(make_png(), CREDENTIAL)
    chunks = parse_chunks(baked)  # also checks every CRC
    assert [c[0] for c in chunks] == [b"IHDR", b"iTXt", b"tEXt", b"IDAT", b"IDAT", b"IEND"]
    found = credential_chunks(baked)
    assert len(found) == 1
    ctype, data = found[0]
    assert ctype == b"iTXt"
    keyword, rest = data.split(b"\x00", 1)
    assert keyword == b"openbadgecredential"
    assert rest[0] == 0, "compression flag must be 0"
    assert rest[1] == 0, "compression method"
    language, translated, text = rest[2:].split(b"\x00", 2)
    assert language == b""
    assert translated == b""
    assert json.loads(text.decode("utf-8")) == CREDENTIAL
    assert "Työpaja Ääni" in text.decode("utf-8")  # UTF-8, not \u escapes


def test_baking_keeps_the_image_intact() -> None:
    original = make_png()
    baked = bake_png(original, JWS)
    idat = b"".join(data for ctype, data in parse_chunks(baked) if ctype == b"IDAT")
    assert zlib.decompress(idat) == RAW
    kept = [c for c in parse_chunks(baked) if c[0] != b"iTXt"]
    assert kept == parse_chunks(original)


def test_rebaking_png_replaces_the_credential() -> None:
    once = bake_png(make_png(), CREDENTIAL)
    twice = bake_png(once, OTHER_JWS)
    assert len(credential_chunks(twice)) == 1
    assert unbake_png(twice) == OTHER_JWS
    assert bake_png(bake_png(make_png(), JWS), JWS) == bake_png(make_png(), JWS)


def test_bake_png_removes_text_and_late_credential_chunks() -> None:
    # An existing credential anywhere (after IDAT, or as tEXt) is removed, not kept.
    source = make_png(chunk(b"tEXt", b"openbadgecredential\x00old"))
    late = source.replace(
        chunk(b"IEND", b""), itxt(b"openbadgecredential", b"older") + chunk(b"IEND", b"")
    )
    baked = bake_png(late, JWS)
    assert len(credential_chunks(baked)) == 1
    assert unbake_png(baked) == JWS


def test_two_credential_chunks_are_refused() -> None:
    png = make_png(itxt(b"openbadgecredential", b"{}"), itxt(b"openbadgecredential", JWS.encode()))
    with pytest.raises(BakingError, match="2 openbadgecredential chunks"):
        unbake_png(png)


def test_credential_after_idat_counts_as_a_second_chunk() -> None:
    png = bake_png(make_png(), JWS)
    png = png.replace(
        chunk(b"IEND", b""), itxt(b"openbadgecredential", b"{}") + chunk(b"IEND", b"")
    )
    with pytest.raises(BakingError, match="exactly one"):
        unbake_png(png)


def test_compressed_credential_chunk_is_refused() -> None:
    png = make_png(itxt(b"openbadgecredential", JWS.encode(), compressed=True))
    with pytest.raises(BakingError, match="compressed"):
        unbake_png(png)


def test_credential_in_text_chunk_is_refused() -> None:
    png = make_png(chunk(b"tEXt", b"openbadgecredential\x00" + JWS.encode()))
    with pytest.raises(BakingError, match="must be iTXt"):
        unbake_png(png)


@pytest.mark.parametrize("chunk_type", [b"IHDR", b"IDAT", b"iTXt", b"IEND"])
def test_corrupt_crc_is_refused(chunk_type: bytes) -> None:
    baked = bake_png(make_png(), JWS)
    if chunk_type == b"IEND":  # empty chunk: break the CRC itself
        bad = baked[:-1] + bytes([baked[-1] ^ 1])
    else:
        bad = corrupt_crc(baked, chunk_type)
    with pytest.raises(BakingError, match="CRC"):
        unbake_png(bad)
    with pytest.raises(BakingError, match="CRC"):
        bake_png(bad, JWS)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"GIF89a\x01\x00\x01\x00", "signature"),
        (b"", "signature"),
        (b"<svg/>", "signature"),
        (SIGNATURE, "IEND"),
        (SIGNATURE + chunk(b"IDAT", b"x") + chunk(b"IEND", b""), "first chunk is not IHDR"),
        (b"TRUNCATED", "signature"),
    ],
)
def test_non_png_or_corrupt_input_is_refused(data: bytes, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        bake_png(data, JWS)
    with pytest.raises(BakingError, match=message):
        unbake_png(data)


def test_truncated_and_trailing_data_are_refused() -> None:
    baked = bake_png(make_png(), JWS)
    with pytest.raises(BakingError, match=r"truncated|IEND"):
        unbake_png(baked[:-20])
    with pytest.raises(BakingError, match="after the IEND"):
        unbake_png(baked + b"junk")
    huge_length = baked[:8] + b"\xff\xff\xff\xff" + baked[12:]
    with pytest.raises(BakingError, match="too large"):
        unbake_png(huge_length)


def test_baking_error_is_a_vc_error() -> None:
    assert issubclass(BakingError, VCError)


def test_png_size_limit() -> None:
    baked = bake_png(make_png(), JWS)
    assert unbake_png(baked, max_size=len(baked)) == JWS
    with pytest.raises(BakingError, match="limit"):
        unbake_png(baked, max_size=len(baked) - 1)


def test_png_without_credential_and_legacy_ob2_chunk_give_none() -> None:
    assert unbake_png(make_png()) is None
    legacy = make_png(itxt(b"openbadges", b'{"@context": "https://w3id.org/openbadges/v2"}'))
    assert unbake_png(legacy) is None
    baked = bake_png(legacy, JWS)
    assert unbake_png(baked) == JWS
    assert b"openbadges\x00" not in baked, "the legacy assertion is removed when baking"


@pytest.mark.parametrize("bad", ["not a jws", '{"id": "x"}', "a.b", 42, ["x"]])
def test_bad_credential_values_are_refused(bad: Any) -> None:
    with pytest.raises(BakingError):
        bake_png(make_png(), bad)
    with pytest.raises(BakingError):
        bake_svg(BADGE_SVG, bad)


def test_non_json_credential_is_refused() -> None:
    with pytest.raises(BakingError, match="JSON"):
        bake_png(make_png(), {"x": float("nan")})


# --------------------------------------------------------------------------- SVG

BADGE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="400" height="400" viewBox="0 0 400 400" '
    'role="img" aria-labelledby="badge-title"><title id="badge-title">Puutyö – taso 1</title>'
    '<circle cx="200" cy="200" r="190" fill="#7a4a00"/></svg>\n'
)


def svg_children(svg: str) -> list[ElementTree.Element]:
    root = ElementTree.fromstring(svg)  # noqa: S314 - our own output, in a test
    assert root.tag == f"{{{SVG_NS}}}svg"
    return list(root)


def test_bake_svg_json_round_trip() -> None:
    baked = bake_svg(BADGE_SVG, CREDENTIAL)
    text = unbake_svg(baked)
    assert text is not None
    assert json.loads(text) == CREDENTIAL
    assert 'xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"' in baked
    first = svg_children(baked)[0]
    assert first.tag == f"{{{OB3_NAMESPACE}}}credential"
    assert json.loads(first.text or "") == CREDENTIAL
    assert "<openbadges:credential><![CDATA[{" in baked


def test_bake_svg_jws_round_trip() -> None:
    baked = bake_svg(BADGE_SVG, JWS)
    assert unbake_svg(baked) == JWS
    assert unbake_svg(baked.encode("utf-8")) == JWS
    first = svg_children(baked)[0]
    assert first.tag == f"{{{OB3_NAMESPACE}}}credential"
    assert first.get("verify") == JWS
    assert f'<openbadges:credential verify="{JWS}"/>' in baked


def test_bake_svg_keeps_the_rest_of_the_document() -> None:
    baked = bake_svg(BADGE_SVG, JWS)
    element = f'<openbadges:credential verify="{JWS}"/>'
    namespace = ' xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"'
    assert baked.replace(element, "").replace(namespace, "") == BADGE_SVG
    assert baked.startswith("<svg" + namespace)


def test_cdata_terminator_inside_json_survives() -> None:
    tricky = dict(CREDENTIAL, name="a ]]> b ]]]]> c ]]><script>alert(1)</script>")
    baked = bake_svg(BADGE_SVG, tricky)
    text = unbake_svg(baked)
    assert text is not None
    assert json.loads(text) == tricky
    # No injected markup: the only children are the credential and the original shapes.
    children = svg_children(baked)
    assert [c.tag.split("}")[1] for c in children] == ["credential", "title", "circle"]
    assert json.loads(children[0].text or "") == tricky


def test_rebaking_svg_replaces_the_credential() -> None:
    once = bake_svg(BADGE_SVG, CREDENTIAL)
    twice = bake_svg(once, JWS)
    assert unbake_svg(twice) == JWS
    assert twice.count("credential") == 1
    assert "CDATA" not in twice
    assert twice.count("xmlns:openbadges") == 1
    assert twice == bake_svg(BADGE_SVG, JWS)
    thrice = bake_svg(twice, CREDENTIAL)
    assert thrice == once


def test_bake_svg_self_closing_root_and_other_prefix() -> None:
    baked = bake_svg('<svg xmlns="http://www.w3.org/2000/svg"/>', JWS)
    assert unbake_svg(baked) == JWS
    assert svg_children(baked)[0].get("verify") == JWS
    # An existing credential under another prefix is found and replaced.
    other = (
        '<svg xmlns="http://www.w3.org/2000/svg"><ob:credential '
        f'xmlns:ob="{OB3_NAMESPACE}" verify="{OTHER_JWS}"/><rect/></svg>'
    )
    assert unbake_svg(other) == OTHER_JWS
    rebaked = bake_svg(other, JWS)
    assert unbake_svg(rebaked) == JWS
    assert "ob:credential" not in rebaked


def test_rebake_svg_with_credential_last_and_pretty_printed() -> None:
    last = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NAMESPACE}"><g/>'
        f'<openbadges:credential verify="{OTHER_JWS}"/></svg>'
    )
    rebaked = bake_svg(last, JWS)
    assert rebaked == (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NAMESPACE}">'
        f'<openbadges:credential verify="{JWS}"/><g/></svg>'
    )
    pretty = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NAMESPACE}">\n'
        "  <openbadges:credential>\n    <![CDATA[\n"
        + json.dumps(CREDENTIAL, indent=2, ensure_ascii=False)
        + "\n    ]]>\n  </openbadges:credential>\n  <rect width='1' height='1'/>\n</svg>\n"
    )
    assert json.loads(unbake_svg(pretty) or "") == CREDENTIAL
    utf16 = pretty.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16")
    assert json.loads(unbake_svg(utf16) or "") == CREDENTIAL
    rebaked = bake_svg(pretty, JWS)
    assert unbake_svg(rebaked) == JWS
    assert "CDATA" not in rebaked
    assert [c.tag.split("}")[1] for c in svg_children(rebaked)] == ["credential", "rect"]


def test_bake_svg_refuses_openbadges_prefix_bound_elsewhere() -> None:
    legacy = (
        '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org">'
        '<openbadges:assertion verify="https://example.org/a/1"/></svg>'
    )
    assert unbake_svg(legacy) is None, "OB 2.0 assertions are not read"
    with pytest.raises(BakingError, match="prefix"):
        bake_svg(legacy, JWS)


BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    '<svg xmlns="http://www.w3.org/2000/svg"><openbadges:credential '
    f'xmlns:openbadges="{OB3_NAMESPACE}">&lol2;</openbadges:credential></svg>'
)
EXTERNAL_ENTITY = (
    '<!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NAMESPACE}">'
    "<openbadges:credential>&xxe;</openbadges:credential></svg>"
)
PLAIN_DOCTYPE = (
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    '<svg xmlns="http://www.w3.org/2000/svg"/>'
)


UNDEFINED_ENTITY = (
    '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
    '"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NAMESPACE}">'
    "<openbadges:credential>&ext;</openbadges:credential></svg>"
)


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        (BILLION_LAUGHS, "DOCTYPE"),
        (EXTERNAL_ENTITY, "DOCTYPE"),
        # With a DTD named (and never read), an undefined entity would be skipped silently.
        (UNDEFINED_ENTITY, "&ext;"),
    ],
)
def test_svg_with_entities_is_refused(svg: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        unbake_svg(svg)
    with pytest.raises(BakingError, match=message):
        unbake_svg(svg.encode("utf-8"))
    with pytest.raises(BakingError, match=message):
        bake_svg(svg, JWS)


def test_an_svg_11_doctype_that_only_names_its_dtd_is_read() -> None:
    """As SVG 1.1 files (and other issuers' badges) have it: independent verifiers read
    them, and so does this one (issue #16). The DTD is not fetched."""
    baked = bake_svg(PLAIN_DOCTYPE, JWS)
    assert baked.startswith("<!DOCTYPE svg PUBLIC")
    assert unbake_svg(baked) == JWS
    assert unbake_svg(baked.encode("utf-8")) == JWS
    with_declaration = '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + baked
    assert unbake_svg(with_declaration.encode("utf-8")) == JWS


def test_doctype_text_inside_a_credential_is_fine() -> None:
    # Only real declarations are refused, not the characters inside the credential.
    html = dict(CREDENTIAL, description="Osaa kirjoittaa <!DOCTYPE html> ja <!ENTITY x>")
    assert json.loads(unbake_svg(bake_svg(BADGE_SVG, html)) or "") == html


def test_two_credential_elements_are_refused() -> None:
    svg = (
        f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB3_NAMESPACE}">'
        f'<openbadges:credential verify="{JWS}"/><g>'
        f'<openbadges:credential verify="{OTHER_JWS}"/></g></svg>'
    )
    with pytest.raises(BakingError, match="two or more"):
        unbake_svg(svg)
    with pytest.raises(BakingError, match="two or more"):
        bake_svg(svg, JWS)


@pytest.mark.parametrize(
    ("svg", "message"),
    [
        ('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', "malformed"),
        ("not xml at all", "malformed"),
        ("", "malformed"),
        ('<html xmlns="http://www.w3.org/1999/xhtml"/>', "not an SVG"),
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="{OB3_NAMESPACE}">'
            f'<o:credential verify="{JWS}">{{"a": 1}}</o:credential></svg>',
            "ambiguous",
        ),
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="{OB3_NAMESPACE}">'
            "<o:credential>  </o:credential></svg>",
            "empty",
        ),
        (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:o="{OB3_NAMESPACE}">'
            "<o:credential><x/>{}</o:credential></svg>",
            "inside the credential",
        ),
    ],
)
def test_malformed_or_ambiguous_svg_is_refused(svg: str, message: str) -> None:
    with pytest.raises(BakingError, match=message):
        unbake_svg(svg)


def test_svg_size_limit_and_missing_credential() -> None:
    baked = bake_svg(BADGE_SVG, JWS)
    with pytest.raises(BakingError, match="limit"):
        unbake_svg(baked, max_size=len(baked) - 1)
    assert unbake_svg(BADGE_SVG) is None


# --------------------------------------------------------------------------- detection


def test_detect_and_unbake() -> None:
    png = bake_png(make_png(), CREDENTIAL)
    found = detect_and_unbake(png)
    assert found is not None
    assert found[0] == "png"
    assert json.loads(found[1]) == CREDENTIAL

    svg = bake_svg(BADGE_SVG, JWS)
    assert detect_and_unbake(svg.encode("utf-8")) == ("svg", JWS)
    with_declaration = '\ufeff<?xml version="1.0" encoding="UTF-8"?>\n' + svg
    assert detect_and_unbake(with_declaration.encode("utf-8")) == ("svg", JWS)

    assert detect_and_unbake(make_png()) is None
    assert detect_and_unbake(BADGE_SVG.encode("utf-8")) is None


@pytest.mark.parametrize("data", [b"GIF89a", b"%PDF-1.7", b"", b"<html><body/></html>"])
def test_detect_refuses_other_formats(data: bytes) -> None:
    with pytest.raises(BakingError):
        detect_and_unbake(data)


def test_detect_propagates_refusals() -> None:
    with pytest.raises(BakingError, match="DOCTYPE"):
        detect_and_unbake(BILLION_LAUGHS.encode("utf-8"))
    with pytest.raises(BakingError, match="CRC"):
        detect_and_unbake(corrupt_crc(bake_png(make_png(), JWS), b"IDAT"))
