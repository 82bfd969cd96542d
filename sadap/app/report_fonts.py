"""The CRM reports' faces: the Noto Sans Thai the workspace already vendors
(``sadap/app/web/static/vendor/fonts``), made into TTF files once (Latin and Thai as two families,
the Thai one drawing ำ with glyphs of its own so that the PDF's text reads back as typed),
registered with matplotlib for the charts and embedded in the page as ``@font-face`` rules, so the
report looks the same on a bare server. fontTools and matplotlib are the ``report`` extra.
"""

from __future__ import annotations

import base64
import os
import tempfile
import threading
from copy import deepcopy
from pathlib import Path
from typing import Any, NoReturn

from sadap.core.errors import ConfigError

FONT_DIR = Path(__file__).resolve().parent / "web" / "static" / "vendor" / "fonts"
#: (family, subset file stem) for the page and the charts: Latin first, Thai for the Thai range.
FONT_FAMILIES = (("Sadap Report Latin", "latin"), ("Sadap Report Thai", "thai"))
#: Bump when report_fonts() makes its files differently (they are cached under the temp folder).
FONT_VERSION = 3
_font_lock = threading.Lock()
_chart_fonts: list[str] | None = None


def need_extra(module: str) -> NoReturn:
    """Say that the report needs ``module`` and how to install it."""
    raise ConfigError(f"the CRM report needs {module}: pip install 'sadap[report]'")


# SARA AM (ำ) is drawn by the shaper as two glyphs, NIKHAHIT and SARA AA, and a PDF maps each
# glyph to one text: the SARA AA glyph would read back as ำ everywhere or as า inside ำ (คำถาม →
# คาถาม), and a tone mark drawn inside น้ำ would read back as nothing in ได้. So the report's copy
# of the Thai face draws those glyphs, when they come from ำ, with copies of their own
# (``.am``): the copies only ever stand for ำ, and the PDF's text reads back as typed.
_TONES = (0x0E48, 0x0E49, 0x0E4A, 0x0E4B)


def _separate_sara_am(font: Any) -> None:
    from fontTools.feaLib.builder import addOpenTypeFeaturesFromString

    cmap = font.getBestCmap()
    order = font.getGlyphOrder()

    def forms(name: str) -> list[str]:  # a glyph and its contextual forms (uni0E49, uni0E49.small …)
        return [g for g in order if g == name or g.startswith(name + ".")]

    aa = cmap[0x0E32]
    nikhahits = forms(cmap[0x0E4D])
    tones = [cmap[c] for c in _TONES if c in cmap]
    # One SARA AA copy per tone mark that can sit inside ำ (น้ำ, ค่ำ): the copy reads back as the
    # whole cluster, tone included, so each combination needs its own; each form of a tone inside
    # ำ gets a copy too, which reads back as nothing (the tone is in SARA AA's text).
    aa_copies = {"": f"{aa}.am", **{t: f"{aa}.am.{t}" for t in tones}}
    tone_copies = {form: f"{form}.am" for t in tones for form in forms(t)}
    glyf, hmtx = font["glyf"], font["hmtx"]
    classes = font["GDEF"].table.GlyphClassDef.classDefs if "GDEF" in font else {}
    for old, new in [*((aa, c) for c in aa_copies.values()), *tone_copies.items()]:
        glyf.glyphs[new] = deepcopy(glyf[old])
        hmtx.metrics[new] = hmtx.metrics[old]
        if old in classes:
            classes[new] = classes[old]
    font.setGlyphOrder(order + list(aa_copies.values()) + list(tone_copies.values()))
    glyf.glyphOrder = font.getGlyphOrder()
    nik = "[" + " ".join(nikhahits) + "]"
    lookups = [f"lookup AA_AM {{ sub {aa} by {aa_copies['']}; }} AA_AM;",
               f"lookup TONE_AM {{ sub [{' '.join(tone_copies)}] by [{' '.join(tone_copies.values())}]; }} TONE_AM;"]
    rules = [f"  sub {nik} {aa}' lookup AA_AM;"]
    for i, t in enumerate(tones):
        lookups.append(f"lookup AA_AM_{i} {{ sub {aa} by {aa_copies[t]}; }} AA_AM_{i};")
        rules.append(f"  sub {nik} [{' '.join(forms(t))}]' lookup TONE_AM {aa}' lookup AA_AM_{i};")
    fea = "\n".join(lookups) + "\nlookup SARA_AM {\n" + "\n".join(rules) + "\n} SARA_AM;\nfeature ccmp { lookup SARA_AM; } ccmp;\n"
    # Build the lookups on a scratch GSUB, then add them after the face's own (kept as they are).
    own = font["GSUB"] if "GSUB" in font else None
    if own is not None:
        del font["GSUB"]
    addOpenTypeFeaturesFromString(font, fea, tables=["GSUB"])
    built = font["GSUB"]
    if own is None:
        return
    base = len(own.table.LookupList.Lookup)
    for lookup in built.table.LookupList.Lookup:
        for sub in lookup.SubTable:
            for rule_set in getattr(sub, "ChainSubRuleSet", None) or []:
                for rule in rule_set.ChainSubRule:
                    for rec in rule.SubstLookupRecord:
                        rec.LookupListIndex += base
            for rec in getattr(sub, "SubstLookupRecord", None) or []:
                rec.LookupListIndex += base
        own.table.LookupList.Lookup.append(lookup)
    own.table.LookupList.LookupCount = len(own.table.LookupList.Lookup)
    chain = base + len(built.table.LookupList.Lookup) - 1
    for record in own.table.FeatureList.FeatureRecord:
        if record.FeatureTag == "ccmp":
            record.Feature.LookupListIndex.append(chain)
            record.Feature.LookupCount = len(record.Feature.LookupListIndex)
    font["GSUB"] = own


def report_fonts() -> list[tuple[str, str, Path]]:
    """The report's faces as TTF files (made once, under the temp folder): ``(family, weight,
    path)``. They are the vendored Noto Sans Thai, renamed so that Latin and Thai are two families
    (matplotlib falls back from one to the other), the Thai one with ำ's glyphs of its own."""
    try:
        from fontTools.ttLib import TTFont
    except ImportError:
        need_extra("fontTools")
    folder = Path(tempfile.gettempdir()) / f"sadap-report-fonts-{FONT_VERSION}-{os.getuid()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    out = []
    for family, subset in FONT_FAMILIES:
        for weight in ("400", "700"):
            target = folder / f"{subset}-{weight}.ttf"
            if not target.exists():
                font = TTFont(str(FONT_DIR / f"noto-sans-thai-{subset}-{weight}-normal.woff2"))
                font.flavor = None
                style = "Bold" if weight == "700" else "Regular"
                name = font["name"]
                for name_id, value in ((1, family), (2, style), (4, f"{family} {style}"),
                                       (6, f"{family.replace(' ', '')}-{style}"), (16, family), (17, style)):
                    name.setName(value, name_id, 3, 1, 0x409)
                if subset == "thai":
                    _separate_sara_am(font)
                tmp = folder / f"{subset}-{weight}.{os.getpid()}.part"
                font.save(str(tmp))
                tmp.replace(target)
            out.append((family, weight, target))
    return out


def chart_fonts() -> list[str]:
    """Register the report's faces with matplotlib (once); the family names, Latin first."""
    global _chart_fonts
    with _font_lock:
        if _chart_fonts is not None:
            return _chart_fonts
        try:
            from matplotlib import font_manager
        except ImportError:
            need_extra("matplotlib")
        for _, _, path in report_fonts():
            font_manager.fontManager.addfont(str(path))
        _chart_fonts = [family for family, _ in FONT_FAMILIES]
        return _chart_fonts


def font_faces() -> str:
    """The faces as CSS ``@font-face`` rules with the files inline."""
    faces = []
    with _font_lock:
        fonts = report_fonts()
    for family, weight, path in fonts:
        data = base64.b64encode(path.read_bytes()).decode("ascii")
        faces.append(f'@font-face{{font-family:"{family}";font-weight:{weight};font-style:normal;'
                     f'src:url(data:font/ttf;base64,{data}) format("truetype")}}')
    return "\n".join(faces)
