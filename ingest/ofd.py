"""OFD (GB/T 33190) → page lines. An OFD file is a zip: ``OFD.xml`` names each document's root
(``DocRoot``), whose ``Document.xml`` lists its pages in order (``Pages/Page@BaseLoc``); a page's content holds
``TextObject``s, each with a ``Boundary`` ("x y w h", millimetres from the top-left corner), a font ``Size`` and
``TextCode`` runs placed at X, Y inside that boundary. Runs on one baseline make a line.

Read directly with the standard library: the text and its positions are all the clean-up needs.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from collections import defaultdict
from xml.etree import ElementTree

from ingest.layout import PageLine

NS = "{http://www.ofdspec.org/2016}"
# Runs whose baselines differ by less than this share of the font size sit on one line.
SAME_LINE = 0.3
# Runs on one line further apart than this many font sizes are cells of a table row.
CELL_GAP = 1.5


class OfdError(Exception):
    """The package does not have the structure GB/T 33190 prescribes."""


def page_lines(data: bytes) -> list[list[PageLine]]:
    """Every page of every document in the package, in order: its lines, top to bottom."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        names = set(archive.namelist())
        root = _xml(archive, "OFD.xml")
        pages = []
        for doc_root in root.iter(f"{NS}DocRoot"):
            document_path = _path("", doc_root.text or "")
            document = _xml(archive, document_path)
            for page in document.iter(f"{NS}Page"):
                page_path = _path(posixpath.dirname(document_path), page.get("BaseLoc", ""))
                if page_path not in names:
                    raise OfdError(f"missing page {page_path}")
                pages.append(_lines(_xml(archive, page_path)))
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError) as exc:
        raise OfdError(str(exc)) from exc
    if not pages:
        raise OfdError("no pages")
    return pages


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    return ElementTree.fromstring(archive.read(name))


def _path(base: str, location: str) -> str:
    """Package paths are relative to the referring file's folder, or absolute from the package root."""
    location = location.strip()
    joined = location.lstrip("/") if location.startswith("/") else posixpath.join(base, location)
    return posixpath.normpath(joined)


def _lines(page: ElementTree.Element) -> list[PageLine]:
    """Text runs grouped by baseline, each line's runs in x order."""
    runs: list[tuple[float, float, float, float, str]] = []  # baseline, x, right edge, font size, text
    for obj in page.iter(f"{NS}TextObject"):
        x0, y0, w = ([float(v) for v in (obj.get("Boundary") or "0 0 0 0").split()] + [0.0] * 4)[:3]
        size = float(obj.get("Size") or 0)
        for code in obj.iter(f"{NS}TextCode"):
            if code.text:
                runs.append((y0 + float(code.get("Y") or 0), x0 + float(code.get("X") or 0), x0 + w, size, code.text))
    lines: dict[float, list[tuple[float, float, float, str]]] = defaultdict(list)
    baselines: list[float] = []
    for baseline, x, right, size, text in sorted(runs):
        near = next((b for b in baselines if abs(b - baseline) < SAME_LINE * max(size, 1.0)), None)
        if near is None:
            baselines.append(baseline)
            near = baseline
        lines[near].append((x, right, size, text))
    return [_line(sorted(lines[baseline])) for baseline in sorted(lines)]


def _line(parts: list[tuple[float, float, float, str]]) -> PageLine:
    """One line from its runs in x order; runs standing far apart are the cells of a table row."""
    cells = [parts[0][3]]
    for (_, right, size, _), (x, _, _, text) in zip(parts, parts[1:]):
        if x - right > CELL_GAP * max(size, 1.0):
            cells.append(text)
        else:
            cells[-1] += text
    return PageLine("".join(cells), parts[0][0], parts[0][2], tuple(cells) if len(cells) > 1 else ())
