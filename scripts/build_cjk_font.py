"""Build the CJK font the printed documents embed: src/aftersales/core/pdf/fonts/NotoSansCJKsc-Regular.otf.

A maintainer's step, run once per font update (not part of set-up): it needs fontTools and Debian's
fonts-noto-cjk package, whose NotoSansCJK-Regular.ttc holds Noto Sans CJK SC as its face 2.

    apt-get download fonts-noto-cjk && dpkg-deb -x fonts-noto-cjk_*_all.deb x
    pip install fonttools
    python scripts/build_cjk_font.py x/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc \\
        src/aftersales/core/pdf/fonts/NotoSansCJKsc-Regular.otf

Kept: Latin, Greek and Cyrillic, punctuation and symbols, full-width forms, and every Han character
the font has (CJK Unified Ideographs with Extensions A to H, compatibility ideographs, radicals), so
that rare name characters (𠮷, 堃, 喆, 䶮) print. Dropped: layout features (the documents set
horizontal Chinese and Latin) and hinting (PDF viewers do not use it): 7.4 MB instead of 16.4 MB.
The font's licence (SIL OFL 1.1) allows this modified version under its own name, which reserves only
"Source".
"""

from __future__ import annotations

import sys

from fontTools import subset
from fontTools.ttLib import TTFont

RANGES = [
    (0x20, 0x7E),
    (0xA0, 0x17F),
    (0x1CD, 0x1DC),
    (0x2B0, 0x2FF),
    (0x370, 0x3FF),
    (0x400, 0x45F),
    (0x2000, 0x206F),
    (0x20A0, 0x20CF),
    (0x2100, 0x218F),
    (0x2190, 0x21FF),
    (0x2200, 0x22FF),
    (0x2460, 0x24FF),
    (0x2500, 0x259F),
    (0x25A0, 0x25FF),
    (0x2600, 0x26FF),
    (0x3000, 0x303F),
    (0x3100, 0x312F),
    (0x3200, 0x33FF),
    (0xFE10, 0xFE1F),
    (0xFE30, 0xFE4F),
    (0xFF00, 0xFFEF),
    (0xFFFD, 0xFFFD),
    (0x2E80, 0x2FDF),
    (0x31C0, 0x31EF),
    (0x3400, 0x4DBF),
    (0x4E00, 0x9FFF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3FFFF),
]
SIMPLIFIED_CHINESE_FACE = 2  # of NotoSansCJK-Regular.ttc


def main(source: str, target: str) -> None:
    font = TTFont(source, fontNumber=SIMPLIFIED_CHINESE_FACE) if source.endswith(".ttc") else TTFont(source)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    options.notdef_outline = True
    options.glyph_names = False
    options.layout_features = []
    options.hinting = False
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes={code for first, last in RANGES for code in range(first, last + 1)})
    subsetter.subset(font)
    font.save(target)
    missing = [char for char in "𠮷堃喆䶮张王沪粤¥" if ord(char) not in font.getBestCmap()]
    print(f"{target}: {len(font.getBestCmap())} characters; missing of the checked ones: {missing or 'none'}")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
