# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
import datetime as dt
from unittest.mock import patch

from trytond.modules.association.tests.database import (
    LayeredDatabaseMixin)
from trytond.modules.association.tests.views import ViewWidgetTestMixin
from trytond.modules.association_mailing import consent
from trytond.modules.association_mailing.exceptions import TokenError
from trytond.pool import Pool
from trytond.tests.test_tryton import ModuleTestCase, with_transaction
from trytond.transaction import Transaction

from .tools import EXTRAS

START = dt.date(2020, 7, 1)


class AssociationMailingTestCase(
        ViewWidgetTestMixin, LayeredDatabaseMixin, ModuleTestCase):
    "Test Association Mailing module"
    module = 'association_mailing'
    extras = EXTRAS

    @with_transaction()
    def test_token(self):
        "Test that a token reads back and that an altered one is refused"
        pool = Pool()
        List = pool.get('marketing.email.list')
        list_, = List.create([{'name': "Liste"}])
        token = consent.make_token('maire@example.org', list_.id)
        self.assertEqual(
            consent.read_token(token), ('maire@example.org', list_))
        payload, signature = token.split('.')
        other = consent.make_token('autre@example.org', list_.id)
        for altered in [
                payload + '.' + other.split('.')[1],
                other.split('.')[0] + '.' + signature,
                token[:-2], 'nothing', '']:
            with self.subTest(token=altered):
                with self.assertRaises(TokenError):
                    consent.read_token(altered)

    @with_transaction()
    def test_token_expired(self):
        "Test that a token expires after the days of the configuration"
        pool = Pool()
        List = pool.get('marketing.email.list')
        list_, = List.create([{'name': "Liste"}])
        token = consent.make_token('maire@example.org', list_.id, days=1)
        with patch.object(consent.time, 'time',
                return_value=consent.time.time() + 2 * 24 * 3600):
            with self.assertRaises(TokenError):
                consent.read_token(token)

    @with_transaction()
    def test_throttle(self):
        "Test that the throttle spaces the slots of the e-mails"
        pool = Pool()
        Configuration = pool.get('association.mailing.configuration')
        self.assertEqual(Configuration.take_slot(), 0)
        Configuration.write([Configuration(1)], {'throttle': 10})
        waits = [Configuration.take_slot() for _ in range(3)]
        self.assertLess(waits[0], 0.05)
        self.assertAlmostEqual(waits[1] - waits[0], 0.1, delta=0.05)
        self.assertAlmostEqual(waits[2] - waits[0], 0.2, delta=0.05)

    @with_transaction()
    def test_audience_operators(self):
        "Test the combination of the rules by or, and, except"
        pool = Pool()
        Audience = pool.get('association.mailing.audience')
        Party = pool.get('party.party')
        commune1, commune2 = Party.create([
                {'name': "Commune 1", 'kind': 'commune', 'population': 500,
                    'population_year': 2026},
                {'name': "Commune 2", 'kind': 'commune',
                    'population': 5000, 'population_year': 2026},
                ])
        mayor1, mayor2, deputy = Party.create([
                {'name': "Maire 1", 'kind': 'person', 'mandates': [
                        ('create', [{'authority': commune1.id,
                                    'office': 'mayor',
                                    'start_date': START}])]},
                {'name': "Maire 2", 'kind': 'person', 'mandates': [
                        ('create', [{'authority': commune2.id,
                                    'office': 'mayor',
                                    'start_date': START}])]},
                {'name': "Adjoint 2", 'kind': 'person', 'mandates': [
                        ('create', [{'authority': commune2.id,
                                    'office': 'deputy_mayor',
                                    'start_date': START}])]},
                ])

        def people(*rules):
            audience, = Audience.create([{
                        'name': "Audience",
                        'rules': [('create', list(rules))],
                        }])
            return set(audience.compute())

        mayors = {'source': 'official', 'offices': ['mayor']}
        large = {'source': 'official', 'population_min': 1000}
        self.assertEqual(people(mayors), {mayor1.id, mayor2.id})
        self.assertEqual(people(mayors, dict(large, operator='or')),
            {mayor1.id, mayor2.id, deputy.id})
        self.assertEqual(people(mayors, dict(large, operator='and')),
            {mayor2.id})
        self.assertEqual(people(mayors, dict(large, operator='except')),
            {mayor1.id})
        self.assertEqual(
            people({'source': 'town_hall', 'population_max': 1000}),
            {commune1.id})

    @with_transaction()
    def test_audience_event(self):
        "Test the registrants, attendees and absentees of an event"
        pool = Pool()
        Audience = pool.get('association.mailing.audience')
        Event = pool.get('association.event')
        Party = pool.get('party.party')
        Registration = pool.get('association.event.registration')
        past, = Event.create([{
                    'name': "Débat", 'kind': 'congress',
                    'start': dt.datetime(2020, 1, 1, 9),
                    'end': dt.datetime(2020, 1, 1, 12),
                    }])
        came, absent, unmarked, cancelled = Party.create([
                {'name': n, 'kind': 'person'}
                for n in ["Venu", "Absent", "Non pointé", "Annulé"]])
        with Transaction().set_context(_check_registration_period=False):
            registrations = Registration.create([
                    {'event': past.id, 'person': p.id}
                    for p in [came, absent, unmarked, cancelled]])
        for registration, state in zip(registrations, [
                    'attended', 'absent', 'registered', 'cancelled']):
            Registration.write([registration], {'state': state})

        def people(attendance):
            audience, = Audience.create([{
                        'name': "Audience",
                        'rules': [('create', [{
                                        'source': 'event',
                                        'event': past.id,
                                        'attendance': attendance,
                                        }])],
                        }])
            return set(audience.compute())

        self.assertEqual(people('registered'),
            {came.id, absent.id, unmarked.id})
        self.assertEqual(people('attended'), {came.id})
        self.assertEqual(people('absent'), {absent.id, unmarked.id})


del ModuleTestCase
