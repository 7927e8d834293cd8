# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""Maps of the communes drawn as SVG from their stored contours

The contours are projected on a plane (equirectangular, the longitudes
scaled by the cosine of the middle latitude of the area), simplified to
the size of a unit of the drawing and written as relative paths of whole
units: no tile server, no network.  A map of France draws the communes of
the metropolis with the overseas régions in insets on its left."""
import math
from collections import namedtuple

import shapely
from sql import Literal, Null

from trytond.model import Model
from trytond.pool import Pool
from trytond.tools import grouped_slice
from trytond.transaction import Transaction

from .official_data import REGION_ISO
from .party import SLICE

# The width of the drawing in units (about 0.2 mm once printed)
WIDTH = 1000
# The overseas régions drawn in insets on the maps of France
OVERSEAS = ['01', '02', '03', '04', '06']
INSET = 150
GAP = 12

Commune = namedtuple(
    'Commune', ['id', 'code', 'name', 'population', 'region'])


def escape(text):
    return (text.replace('&', '&amp;').replace('<', '&lt;')
        .replace('>', '&gt;').replace('"', '&quot;'))


def encode(geometry):
    """Return the SVG path of the projected geometry in whole units, each
    ring a move then relative lines"""
    parts = []
    for polygon in getattr(geometry, 'geoms', [geometry]):
        if polygon.is_empty:
            continue
        for ring in [polygon.exterior, *polygon.interiors]:
            coordinates = shapely.get_coordinates(ring).round().astype(int)
            steps = coordinates[1:] - coordinates[:-1]
            steps = steps[steps.any(axis=1)]
            if len(steps) < 2:
                # Smaller than a unit: a dot keeps the commune visible
                x, y = coordinates[0]
                parts.append(f'M{x} {y}h1v1h-1z')
                continue
            x, y = coordinates[0]
            # The last step closes the ring
            line = ' '.join(map(str, steps[:-1].ravel().tolist()))
            parts.append(f'M{x} {y}l{line}z')
    return ''.join(parts).replace(' -', '-')


class Frame:
    "A part of the drawing and the projection of its contours into it"

    def __init__(self, bounds, box):
        min_x, min_y, max_x, max_y = bounds
        self.k = math.cos(math.radians((min_y + max_y) / 2))
        width = max((max_x - min_x) * self.k, 1e-6)
        height = max(max_y - min_y, 1e-6)
        x, y, box_width, box_height = box
        self.box = box
        self.scale = min(box_width / width, box_height / height)
        self.min_x, self.max_y = min_x, max_y
        self.x = x + (box_width - width * self.scale) / 2
        self.y = y + (box_height - height * self.scale) / 2

    def project(self, geometries, tolerance=0.5):
        "Return the geometries projected and simplified to the tolerance"
        def transform(coordinates):
            result = coordinates.copy()
            result[:, 0] = self.x + (
                coordinates[:, 0] - self.min_x) * self.k * self.scale
            result[:, 1] = self.y + (
                self.max_y - coordinates[:, 1]) * self.scale
            return result
        projected = shapely.transform(geometries, transform)
        return shapely.simplify(
            projected, tolerance, preserve_topology=False)


def french_date(date, lang):
    "Return the date as French writes it in a sentence: 1er mars 2027"
    day = '1er' if date.day == 1 else str(date.day)
    month = lang.strftime(date, '%B').lower()
    return f'{day}\u00a0{month}\u00a0{date.year}'


class MapReportMixin:
    """A report that shows a map: its context holds the SVG under 'svg' as
    a mark that the SVG replaces once rendered (the drawing, of a few
    megabytes for France, is neither escaped nor translated by the
    template engine); the conversion to PDF keeps it inline, as no URL of
    the document is fetched."""
    __slots__ = ()
    _svg_mark = '@@association-map-svg@@'

    @classmethod
    def map_context(cls, communes, category, colours, area, data):
        """Draw the map of the communes of area coloured by their category
        (colours: the key and colour of each category) and return the
        values of the report context that show it: the SVG, the communes
        without contour (missing), the number and population of the
        communes of each category (figures), and the French formats"""
        pool = Pool()
        Map = pool.get('association.map')
        Lang = pool.get('ir.lang')
        Date = pool.get('ir.date')
        lang = Lang.get('fr')
        svg, missing = Map.draw(communes, category, colours, area=area,
            merge=data.get('map_merge', False))
        figures = {k: [0, 0] for k, _ in colours}
        for commune in communes:
            figure = figures[category[commune.id]]
            figure[0] += 1
            figure[1] += commune.population or 0

        def number(value):
            return lang.format('%d', value, grouping=True)
        return {
            'svg': cls._svg_mark,
            '_svg': svg,
            'missing': missing,
            'figures': figures,
            'area': area,
            'language': 'fr',
            'lang': lang,
            'today': french_date(Date.today(), lang),
            'number': number,
            }

    @classmethod
    def _execute(cls, records, header, data, action):
        # The printed map merges the paths of a colour
        data = dict(data, map_merge=action.extension == 'pdf')
        return super()._execute(records, header, data, action)

    @classmethod
    def render(cls, report, report_context):
        data = super().render(report, report_context)
        svg = report_context.get('_svg')
        if svg is not None:
            if isinstance(data, bytes):
                data = data.replace(
                    cls._svg_mark.encode(), svg.encode('utf-8'))
            else:
                data = data.replace(cls._svg_mark, svg)
        return data


class Map(Model):
    "Map"
    __name__ = 'association.map'

    @classmethod
    def communes(cls, area=None):
        """Return the active communes of area (a région or a département,
        France when None) ordered by code"""
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        where = ((party.kind == 'commune')
            & (party.active == Literal(True))
            & (party.official_code != Null))
        where &= cls._area_where(party, area)
        cursor.execute(*party.select(
                party.id, party.official_code, party.name, party.population,
                party.region, where=where,
                order_by=[party.official_code.asc, party.id.asc]))
        return [Commune(*row) for row in cursor]

    @staticmethod
    def _area_where(party, area):
        if area is None:
            return Literal(True)
        if area.kind == 'region':
            return party.region == area.region.id
        return party.departement == area.departement.id

    @classmethod
    def contours(cls, ids):
        "Return the contours by party id as shapely geometries"
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        ids_, wkbs = [], []
        for sub_ids in grouped_slice(ids, count=SLICE):
            cursor.execute(*party.select(party.id, party.contour,
                    where=party.id.in_(list(sub_ids))
                    & (party.contour != Null)))
            for id_, contour in cursor:
                ids_.append(id_)
                wkbs.append(bytes(contour))
        return dict(zip(ids_, shapely.from_wkb(wkbs)))

    @classmethod
    def _divisions(cls, kind, area):
        "Return the ids and régions of the divisions of kind inside area"
        pool = Pool()
        Party = pool.get('party.party')
        party = Party.__table__()
        cursor = Transaction().connection.cursor()
        where = ((party.kind == kind)
            & (party.active == Literal(True))
            & (party.contour != Null))
        where &= cls._area_where(party, area)
        cursor.execute(*party.select(party.id, party.region, where=where))
        return list(cursor)

    @classmethod
    def overseas_regions(cls):
        "Return the code of the overseas régions by subdivision id"
        pool = Pool()
        Subdivision = pool.get('country.subdivision')
        codes = {REGION_ISO[c]: c for c in OVERSEAS}
        subdivisions = Subdivision.search([
                ('code', 'in', list(codes)),
                ])
        return {s.id: codes[s.code] for s in subdivisions}

    @classmethod
    def draw(cls, communes, category, colours, area=None, merge=False):
        """Return the SVG of the communes (from communes()) coloured by
        category (a dictionary of commune id to category) with colours (a
        list of category and fill, in the order of the legend) and the
        communes without contour

        The communes of no category take the colour of None.  Each commune
        is a path named c<code> with its name as title (up to 5,000
        communes), unless merge is set: then the communes of a category
        are one path, which a printed map draws much faster."""
        contours = cls.contours([c.id for c in communes])
        missing = [c for c in communes if c.id not in contours]
        drawn = [c for c in communes if c.id in contours]
        departements = cls._divisions('departement', area)
        regions = cls._divisions('region', area) if area is None else []
        divisions = cls.contours([i for i, _ in departements + regions])
        geometries = {**divisions, **contours}

        # The frames of the drawing: the metropolis and the overseas
        # régions in insets on its left for France, the area alone
        # otherwise
        overseas = cls.overseas_regions() if area is None else {}
        groups = {}
        for commune in drawn:
            groups.setdefault(
                overseas.get(commune.region), []).append(commune.id)
        for id_, region in departements + regions:
            key = overseas.get(region)
            if key in groups:
                groups[key].append(id_)
        inset_codes = [c for c in OVERSEAS if c in groups]
        left = INSET + GAP if inset_codes else 0
        frames = {}
        height = len(inset_codes) * (INSET + GAP) - GAP
        if None in groups:
            bounds = shapely.total_bounds(
                [contours[i] for i in groups[None] if i in contours])
            k = math.cos(math.radians((bounds[1] + bounds[3]) / 2))
            ratio = (bounds[3] - bounds[1]) / max(
                (bounds[2] - bounds[0]) * k, 1e-6)
            main_height = round(WIDTH * min(ratio, 1.4))
            frames[None] = Frame(bounds, (left, 0, WIDTH, main_height))
            height = max(height, main_height)
        insets = []
        for n, code in enumerate(inset_codes):
            box = (0, n * (INSET + GAP), INSET, INSET)
            frames[code] = Frame(shapely.total_bounds(
                    [contours[i] for i in groups[code] if i in contours]),
                box)
            insets.append(box)
        width = left + WIDTH if None in groups else INSET
        paths = {}
        for key, ids in groups.items():
            # A printed map is simplified to a unit: half a unit more
            # would not show on paper and takes long to print
            projected = frames[key].project(
                [geometries[i] for i in ids], 1 if merge else 0.5)
            for id_, geometry in zip(ids, projected):
                paths[id_] = encode(geometry)

        stroke = min(1.0, max(0.1, 0.03 * WIDTH / math.sqrt(len(drawn) or 1)))
        titles = len(drawn) <= 5000
        svg = [
            f'<svg xmlns="http://www.w3.org/2000/svg" '
            f'viewBox="0 0 {width} {max(height, 1)}" class="map">',
            f'<g stroke="#ffffff" stroke-width="{stroke:.2f}" '
            f'stroke-linejoin="round" fill-rule="evenodd">']
        by_category = {}
        for commune in drawn:
            by_category.setdefault(
                category.get(commune.id), []).append(commune)
        for key, fill in colours:
            members = by_category.get(key)
            if not members:
                continue
            svg.append(f'<g class="{key or "none"}" fill="{fill}">')
            if merge:
                svg.append('<path d="%s"/>' % ''.join(
                        paths[c.id] for c in members))
                svg.append('</g>')
                continue
            for commune in members:
                d = paths[commune.id]
                if titles:
                    name = escape(commune.name)
                    svg.append(f'<path id="c{commune.code}" d="{d}">'
                        f'<title>{name} ({commune.code})</title></path>')
                else:
                    svg.append(f'<path id="c{commune.code}" d="{d}"/>')
            svg.append('</g>')
        svg.append('</g>')
        border = min(2.0, stroke * 2 + 0.3)
        for ids, border_width in [
                ([i for i, _ in departements], border),
                ([i for i, _ in regions], border * 2)]:
            ids = [i for i in ids if i in paths]
            if ids:
                svg.append(f'<g fill="none" stroke="#333333" '
                    f'stroke-width="{border_width:.2f}" '
                    'stroke-linejoin="round">')
                svg.extend(f'<path d="{paths[i]}"/>' for i in ids)
                svg.append('</g>')
        for x, y, w, h in insets:
            svg.append(f'<rect x="{x}" y="{y}" width="{w}" height="{h}" '
                'fill="none" stroke="#999999" stroke-width="1"/>')
        svg.append('</svg>')
        return '\n'.join(svg), missing
