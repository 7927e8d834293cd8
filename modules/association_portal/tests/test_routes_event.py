# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal's pages of the events and commissions

A partner company and a member commune, each with a portal account,
browse the events, register and cancel their people, download badges and
calendar invitations, read their commissions' sittings and minutes, and try
to read or change what belongs to the other."""
import datetime as dt
import io

import icalendar
from pypdf import PdfReader

from trytond.pool import Pool
from trytond.tests.test_tryton import RouteTestCase

from .tools import (
    EXTRAS, PortalRouteTestMixin, ReachTestMixin, create_organisation,
    create_portal_user, form_values, page_text, parse_html)

MINUTES = b'%PDF-1.4 minutes of the sitting'


def days(count, hour=9):
    "Return the UTC datetime in count days at the hour"
    day = dt.datetime.now().replace(
        hour=hour, minute=0, second=0, microsecond=0)
    return day + dt.timedelta(days=count)


class PortalEventRouteTestCase(
        ReachTestMixin, PortalRouteTestMixin, RouteTestCase):
    "Test the pages of the portal for the events and commissions"
    module = 'association_portal'
    extras = EXTRAS

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Party = pool.get('party.party')
        Mandate = pool.get('association.mandate')
        Event = pool.get('association.event')
        Registration = pool.get('association.event.registration')
        Commission = pool.get('association.commission')

        company = create_organisation(
            "Énergie Locale SAS", email='contact@energie-locale.example')
        commune = create_organisation(
            "Melun", kind='commune', email='mairie@melun.example')
        other = create_organisation("Autre Entreprise")
        alice = create_portal_user(
            company, "Alice Martin", 'alice@energie-locale.example',
            'alice-secret-1')
        bruno = create_portal_user(
            commune, "Bruno Petit", 'bruno@melun.example', 'bruno-secret-1')
        carla, marie, olga, zoe = Party.create([{
                    'name': "Carla Dupont", 'kind': 'person',
                    'contact_mechanisms': [('create', [{
                                    'type': 'email',
                                    'value': 'carla@energie-locale.example',
                                    }])],
                    }, {
                    'name': "Marie Maire", 'kind': 'person',
                    }, {
                    'name': "Olga Ancienne", 'kind': 'person',
                    }, {
                    'name': "Zoé Ailleurs", 'kind': 'person',
                    }])
        Mandate.create([{
                    'person': marie.id, 'authority': commune.id,
                    'office': 'mayor', 'start_date': dt.date(2020, 7, 1),
                    }, {
                    # A former mandate does not make a person of the commune
                    'person': olga.id, 'authority': commune.id,
                    'office': 'councillor', 'start_date': dt.date(2014, 4, 1),
                    'end_date': dt.date(2020, 3, 31),
                    }])

        def event(name, start, **values):
            values.setdefault('kind', 'congress')
            values.setdefault('state', 'open')
            return dict(
                name=name, start=start, end=start + dt.timedelta(hours=3),
                **values)
        (salon, webinar, draft, past, closed, cancel, sitting_past,
            sitting_next, other_sitting, badge, debate) = Event.create([
                event("Salon des maires", days(30),
                    venue="Parc des expositions", address="1 place du Parc",
                    capacity=3, waiting_list=True,
                    description="Le salon annuel.",
                    sessions=[('create', [{
                                    'name': "Ouverture du salon",
                                    'start': days(30), 'end': days(30, 10),
                                    'room': "Salle A",
                                    }, {
                                    'name': "Table ronde énergie",
                                    'kind': 'round_table',
                                    'start': days(30, 10),
                                    'end': days(30, 11),
                                    'speakers': [('create', [{
                                                    'person': zoe.id,
                                                    }])],
                                    }])]),
                event("Webinaire énergie", days(20), kind='webinar',
                    format='online', online_url='https://visio.example/w',
                    capacity=1),
                event("Atelier en préparation", days(40), state='draft'),
                event("Congrès passé", days(-60), state='done'),
                event("Débat clos", days(10), kind='debate',
                    registration_end=days(-1)),
                event("Matinale", days(15), kind='briefing'),
                event("Séance de janvier", days(-30),
                    kind='committee_meeting', state='done'),
                event("Séance de printemps", days(12),
                    kind='committee_meeting', format='hybrid',
                    venue="Maison des maires",
                    online_url='https://visio.example/c',
                    description="1. Budget\n2. Questions diverses"),
                event("Séance des finances", days(-20),
                    kind='committee_meeting', state='done'),
                event("Forum des territoires", days(25),
                    venue="Hôtel de Ville"),
                event("Débat mensuel", days(8), kind='debate'),
                ])
        transition, digital, finances = Commission.create([{
                    'name': "Commission transition",
                    'members': [('create', [{
                                    'person': marie.id,
                                    'authority': commune.id,
                                    'role': 'chair',
                                    'start_date': dt.date(2020, 7, 1),
                                    }, {
                                    # Out of office: not shown
                                    'person': olga.id,
                                    'authority': commune.id,
                                    'start_date': dt.date(2014, 4, 1),
                                    'end_date': dt.date(2020, 3, 31),
                                    }])],
                    }, {
                    # Marie sits in it on her own: the commune sees it
                    'name': "Commission numérique",
                    'members': [('create', [{
                                    'person': marie.id,
                                    'start_date': dt.date(2021, 1, 1),
                                    }])],
                    }, {
                    'name': "Commission finances",
                    'members': [('create', [{
                                    'person': zoe.id,
                                    'authority': other.id,
                                    'start_date': dt.date(2020, 7, 1),
                                    }])],
                    }])
        Event.write([sitting_past, sitting_next], {
                'commission': transition.id,
                }, [other_sitting], {
                'commission': finances.id,
                })
        Event.write([sitting_past], {
                'minutes': MINUTES,
                'minutes_filename': 'compte-rendu-janvier.pdf',
                }, [other_sitting], {
                'minutes': b'%PDF-1.4 secret',
                'minutes_filename': 'finances.pdf',
                })
        (carla_past, marie_webinar, marie_salon, alice_cancel,
            marie_cancel, alice_badge, carla_badge, marie_badge) = (
            Registration.create([{
                        # Carla came for the company before
                        'event': past.id, 'person': carla.id,
                        'organisation': company.id, 'origin': 'import',
                        'state': 'attended',
                        }, {
                        'event': webinar.id, 'person': marie.id,
                        'organisation': commune.id,
                        }, {
                        'event': salon.id, 'person': marie.id,
                        'organisation': commune.id,
                        }, {
                        'event': cancel.id, 'person': alice.party.id,
                        'organisation': company.id,
                        }, {
                        'event': cancel.id, 'person': marie.id,
                        'organisation': commune.id,
                        }, {
                        'event': badge.id, 'person': alice.party.id,
                        'organisation': company.id,
                        }, {
                        'event': badge.id, 'person': carla.id,
                        'organisation': company.id,
                        }, {
                        'event': badge.id, 'person': marie.id,
                        'organisation': commune.id,
                        }]))
        Registration.write([carla_badge], {'state': 'cancelled'})

        cls.company_id = company.id
        cls.commune_id = commune.id
        cls.person_ids = {
            'alice': alice.party.id, 'bruno': bruno.party.id,
            'carla': carla.id, 'marie': marie.id, 'olga': olga.id,
            'zoe': zoe.id}
        cls.event_ids = {
            'salon': salon.id, 'webinar': webinar.id, 'draft': draft.id,
            'past': past.id, 'closed': closed.id, 'cancel': cancel.id,
            'sitting_past': sitting_past.id,
            'sitting_next': sitting_next.id,
            'other_sitting': other_sitting.id, 'badge': badge.id,
            'debate': debate.id}
        cls.registration_ids = {
            'carla_past': carla_past.id, 'marie_webinar': marie_webinar.id,
            'marie_salon': marie_salon.id, 'alice_cancel': alice_cancel.id,
            'marie_cancel': marie_cancel.id, 'alice_badge': alice_badge.id,
            'carla_badge': carla_badge.id, 'marie_badge': marie_badge.id}
        cls.commission_ids = {
            'transition': transition.id, 'finances': finances.id}

    def alice(self):
        return self.login('alice@energie-locale.example', 'alice-secret-1')

    def bruno(self):
        return self.login('bruno@melun.example', 'bruno-secret-1')

    def registrations(self, event):
        "Return the (person name, organisation name, state) of the event"
        def read(pool):
            Registration = pool.get('association.event.registration')
            return sorted(
                (r.person.name, r.organisation.name, r.state, r.origin)
                for r in Registration.search([
                        ('event', '=', self.event_ids[event]),
                        ]))
        return self.read(read)

    def registration_state(self, name):
        def read(pool):
            Registration = pool.get('association.event.registration')
            return Registration(self.registration_ids[name]).state
        return self.read(read)

    def database_state(self):
        "Return what the pages could change"
        def read(pool):
            Registration = pool.get('association.event.registration')
            Party = pool.get('party.party')
            return (
                sorted((r.id, r.event.id, r.person.id, r.state)
                    for r in Registration.search([])),
                Party.search_count([]))
        return self.read(read)

    # Events

    def test_events_list(self):
        "Each organisation sees the events open to it with their seats"
        response = self.alice().get(self.url('/events'))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        for name in ["Salon des maires", "Webinaire énergie", "Matinale",
                "Forum des territoires"]:
            self.assertIn(name, text)
        for name in ["Atelier en préparation", "Congrès passé", "Débat clos",
                "Séance"]:
            self.assertNotIn(name, text)
        rows = {
            row.xpath('string(th//a)'):
            [' '.join(td.text_content().split()) for td in row.xpath('td')]
            for row in parse_html(response).xpath('//tbody/tr')}
        self.assertEqual(rows["Salon des maires"][1],
            "Parc des expositions, 1 place du Parc")
        self.assertEqual(
            rows["Forum des territoires"][1:],
            ["Hôtel de Ville", "Sans limite"])
        self.assertEqual(
            rows["Webinaire énergie"][1:], ["En ligne", "Complet"])
        nav = parse_html(response).xpath('//nav//a')
        self.assertEqual(
            [a.text_content() for a in nav],
            ["Tableau de bord", "Organisation", "Événements", "Inscriptions",
                "Speed meetings", "Abonnements"])

        # The commune sits in the commission: it sees its next sitting
        response = self.bruno().get(self.url('/events'))
        text = page_text(response)
        self.assertIn("Séance de printemps", text)
        self.assertNotIn("Séance des finances", text)
        nav = parse_html(response).xpath('//nav//a')
        self.assertEqual(
            [a.text_content() for a in nav][2:],
            ["Événements", "Inscriptions", "Speed meetings", "Commissions",
                "Abonnements"])

    def test_event_registration_opening(self):
        """An event whose registrations open later is listed with the date
        they open, by the rule of the event, which refuses them before"""
        from trytond.tests.test_tryton import DB_NAME
        from trytond.transaction import Transaction
        with Transaction().start(DB_NAME, 0) as transaction:
            Event = Pool().get('association.event')
            autumn, = Event.create([{
                        'name': "Salon d'automne", 'kind': 'congress',
                        'state': 'open', 'start': days(60),
                        'end': days(60, 12),
                        'registration_start': days(30),
                        }])
            transaction.commit()
        try:
            client = self.alice()
            text = page_text(client.get(self.url('/events')))
            self.assertIn(
                "Les inscriptions à « Salon d'automne", text)
            self.assertIn("» ouvrent le ", text)
            path = '/events/%d' % autumn.id
            response = client.get(self.url(path))
            self.assertIn("» ouvrent le ", page_text(response))
            self.assertFalse(parse_html(response).xpath(
                    '//form[contains(@action, "/register")]'))
            before = self.database_state()
            response = client.post(self.url(path + '/register'), data={
                    'csrf_token': self.csrf(client),
                    'persons': [str(self.person_ids['alice'])],
                    })
            self.assertEqual(response.status_code, 400)
            self.assertIn("» ouvrent le ", page_text(response))
            self.assertEqual(self.database_state(), before)
        finally:
            with Transaction().start(DB_NAME, 0) as transaction:
                Event = Pool().get('association.event')
                Event.delete(Event.browse([autumn.id]))
                transaction.commit()

    def test_event_detail(self):
        "The detail shows the programme and the organisation's registrations"
        client = self.alice()
        response = client.get(
            self.url('/events/%d' % self.event_ids['salon']))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        self.assertIn("Ouverture du salon", text)
        self.assertIn("Table ronde énergie", text)
        self.assertIn("Zoé Ailleurs", text)
        self.assertIn("Le salon annuel.", text)
        # The commune's registration is not shown to the company
        self.assertNotIn("Marie Maire", text)
        tree = parse_html(response)
        # The persons of the company to choose from, with labels
        persons = {
            i.get('value'): tree.xpath(
                'string(//label[@for=$id])', id=i.get('id')).strip()
            for i in tree.xpath('//input[@name="persons"]')}
        self.assertEqual(persons[str(self.person_ids['alice'])],
            "Alice Martin")
        self.assertEqual(persons[str(self.person_ids['carla'])],
            "Carla Dupont (carla@energie-locale.example)")
        for name in ['marie', 'bruno', 'olga', 'zoe']:
            self.assertNotIn(str(self.person_ids[name]), persons)
        for field in tree.xpath('//input[@type!="hidden"]'):
            self.assertTrue(tree.xpath(
                    '//label[@for=$id]', id=field.get('id')))

        # The company sees the past event it took part in, not the commune
        response = client.get(
            self.url('/events/%d' % self.event_ids['past']))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Carla Dupont", page_text(response))
        self.assertFalse(parse_html(response).xpath(
                '//form[contains(@action, "/register")]'))

        for event in ['draft', 'closed', 'sitting_next', 'other_sitting']:
            response = client.get(
                self.url('/events/%d' % self.event_ids[event]))
            self.assertEqual(response.status_code, 404, event)
            self.assertIn("Page introuvable", page_text(response))
        response = client.get(self.url('/events/999999'))
        self.assertEqual(response.status_code, 404)

        client = self.bruno()
        response = client.get(
            self.url('/events/%d' % self.event_ids['past']))
        self.assertEqual(response.status_code, 404)
        response = client.get(
            self.url('/events/%d' % self.event_ids['salon']))
        text = page_text(response)
        self.assertIn("Marie Maire", text)
        self.assertNotIn("Carla Dupont", text)
        tree = parse_html(response)
        # Marie is registered already; a former councillor is not proposed
        self.assertEqual(
            [i.get('value') for i in tree.xpath('//input[@name="persons"]')],
            [str(self.person_ids['bruno'])])

    def test_register_and_cancel(self):
        """A partner registers two people, then a new one, the next waits
        and takes the seat of a cancelled one"""
        client = self.alice()
        path = '/events/%d' % self.event_ids['salon']
        response = client.get(self.url(path))
        values = form_values(response, '/register')
        data = {
            'csrf_token': values['csrf_token'],
            'persons': [
                str(self.person_ids['alice']), str(self.person_ids['carla'])],
            }
        response = client.post(self.url(path + '/register'), data=data)
        self.assertEqual(response.status_code, 303)
        self.assertIn('notice=registered', response.location)
        response = client.get(response.location)
        text = page_text(response)
        self.assertIn("L'inscription est enregistrée.", text)
        self.assertIn("Alice Martin", text)
        self.assertIn("Carla Dupont", text)

        # A new person: the event is full then (2 + the commune's)
        response = client.post(self.url(path + '/register'), data={
                'csrf_token': values['csrf_token'],
                'name': "  Nina   Nouvelle ",
                'email': 'nina@energie-locale.example',
                })
        self.assertEqual(response.status_code, 303)
        self.assertIn('notice=waiting', response.location)
        self.assertIn(
            "liste d'attente", page_text(client.get(response.location)))
        self.assertEqual(self.registrations('salon'), [
                ("Alice Martin", "Énergie Locale SAS", 'registered',
                    'portal'),
                ("Carla Dupont", "Énergie Locale SAS", 'registered',
                    'portal'),
                ("Marie Maire", "Melun", 'registered', 'staff'),
                ("Nina Nouvelle", "Énergie Locale SAS", 'waiting', 'portal'),
                ])

        def nina(pool):
            Party = pool.get('party.party')
            person, = Party.search([('name', '=', "Nina Nouvelle")])
            return person.kind, person.email
        self.assertEqual(
            self.read(nina), ('person', 'nina@energie-locale.example'))

        # Nina is a person of the company now
        response = client.get(self.url('/events/%d'
                % self.event_ids['webinar']))
        self.assertIn("Nina Nouvelle", [
                ' '.join(label.text_content().split()).split(' (')[0]
                for label in parse_html(response).xpath(
                    '//ul[@class="choices"]//label')])

        # Carla cancels: Nina takes her seat
        response = client.get(self.url(path))
        cancel = [
            f for f in parse_html(response).xpath('//form')
            if f.get('action').endswith('/cancel')]
        self.assertEqual(len(cancel), 3)
        registrations = self.read(lambda pool: {
                r.person.name: r.id
                for r in pool.get('association.event.registration').search([
                        ('event', '=', self.event_ids['salon'])])})
        response = client.post(
            self.url('/registrations/%d/cancel'
                % registrations["Carla Dupont"]),
            data={'csrf_token': values['csrf_token'], 'next': path})
        self.assertEqual(response.status_code, 303)
        self.assertTrue(response.location.endswith(
                path + '?notice=cancelled'))
        self.assertIn(
            "L'inscription est annulée.",
            page_text(client.get(response.location)))
        self.assertEqual(
            [(r[0], r[2]) for r in self.registrations('salon')], [
                ("Alice Martin", 'registered'),
                ("Carla Dupont", 'cancelled'),
                ("Marie Maire", 'registered'),
                ("Nina Nouvelle", 'registered'),
                ])

        # A cancelled registration cannot be cancelled again
        before = self.database_state()
        response = client.post(
            self.url('/registrations/%d/cancel'
                % registrations["Carla Dupont"]),
            data={'csrf_token': values['csrf_token']})
        self.assertEqual(response.status_code, 400)
        self.assertIn(
            "L'inscription de « Carla Dupont » à « Salon des maires",
            page_text(response))
        self.assertIn("ne peut pas être annulée", page_text(response))
        self.assertEqual(self.database_state(), before)

    def test_register_official(self):
        "The mayor of a commune is registered as an elected official"
        client = self.bruno()
        path = '/events/%d' % self.event_ids['debate']
        response = client.get(self.url(path))
        values = form_values(response, '/register')
        response = client.post(self.url(path + '/register'), data={
                'csrf_token': values['csrf_token'],
                'persons': [
                    str(self.person_ids['marie']),
                    str(self.person_ids['bruno'])],
                })
        self.assertEqual(response.status_code, 303)

        def roles(pool):
            Registration = pool.get('association.event.registration')
            return sorted(
                (r.person.name, r.organisation.name, r.role, r.email or None)
                for r in Registration.search([
                        ('event', '=', self.event_ids['debate']),
                        ]))
        self.assertEqual(self.read(roles), [
                ("Bruno Petit", "Melun", 'visitor', None),
                ("Marie Maire", "Melun", 'elected_official', None),
                ])

    def test_register_errors(self):
        "Refused registrations say why in French and create nothing"
        client = self.alice()
        csrf = self.csrf(client)
        before = self.database_state()

        def post(event, status=400, **data):
            response = client.post(
                self.url('/events/%d/register' % self.event_ids[event]),
                data=dict(csrf_token=csrf, **data))
            self.assertEqual(response.status_code, status)
            self.assertEqual(self.database_state(), before)
            return page_text(response)

        # Full without waiting list (the commune took the only seat)
        text = post('webinar', persons=[str(self.person_ids['alice'])])
        self.assertIn("Corrigez l'erreur suivante", text)
        self.assertIn(
            "L'événement « Webinaire énergie", text)
        self.assertIn("est complet (1 places) et n'a pas de liste "
            "d'attente.", text)
        # The form keeps what was chosen
        response = client.post(
            self.url('/events/%d/register' % self.event_ids['webinar']),
            data={'csrf_token': csrf,
                'persons': [str(self.person_ids['alice'])],
                'name': "Paul", 'email': 'paul@example.com'})
        values = form_values(response, '/register')
        self.assertEqual(values['persons'], str(self.person_ids['alice']))
        self.assertEqual(values['name'], "Paul")
        self.assertEqual(self.database_state(), before)

        text = post('cancel', persons=[str(self.person_ids['alice'])])
        self.assertIn("« Alice Martin » est déjà inscrit à « Matinale", text)
        text = post('salon')
        self.assertIn(
            "Choisissez les personnes à inscrire ou saisissez le nom et "
            "l'adresse e-mail d'une nouvelle personne.", text)
        text = post('salon', email='sans.nom@example.com')
        self.assertIn("Saisissez le nom de la nouvelle personne.", text)
        text = post('salon', name="Sans Adresse", email='pas une adresse')
        self.assertIn(
            "Saisissez une adresse e-mail valide pour la nouvelle personne "
            "(« pas une adresse » n'en est pas une).", text)
        # The past event the company took part in is closed
        text = post('past', persons=[str(self.person_ids['carla'])])
        self.assertIn("Les inscriptions à « Congrès passé", text)
        self.assertIn("sont closes.", text)

    def test_register_other_organisation(self):
        "Persons and events of another organisation are unknown"
        client = self.alice()
        csrf = self.csrf(client)
        before = self.database_state()
        for event, persons in [
                ('salon', [str(self.person_ids['marie'])]),
                ('salon', [str(self.person_ids['alice']),
                        str(self.person_ids['bruno'])]),
                ('salon', [str(self.person_ids['zoe'])]),
                ('salon', ['abc']),
                ('sitting_next', [str(self.person_ids['alice'])]),
                ('draft', [str(self.person_ids['alice'])]),
                ]:
            response = client.post(
                self.url('/events/%d/register' % self.event_ids[event]),
                data={'csrf_token': csrf, 'persons': persons})
            self.assertEqual(response.status_code, 404, (event, persons))
            self.assertIn("Page introuvable", page_text(response))
        # A new person with the address of another's person is a new person
        self.assertEqual(self.database_state(), before)

    def test_cancel_other_organisation(self):
        "The commune's registration cannot be cancelled by the company"
        client = self.alice()
        csrf = self.csrf(client)
        before = self.database_state()
        for name in ['marie_cancel', 'marie_salon', 'marie_badge']:
            response = client.post(
                self.url('/registrations/%d/cancel'
                    % self.registration_ids[name]),
                data={'csrf_token': csrf})
            self.assertEqual(response.status_code, 404, name)
        response = client.post(
            self.url('/registrations/999999/cancel'),
            data={'csrf_token': csrf})
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.database_state(), before)

        # The past registration cannot be cancelled any more
        response = client.post(
            self.url('/registrations/%d/cancel'
                % self.registration_ids['carla_past']),
            data={'csrf_token': csrf})
        self.assertEqual(response.status_code, 400)
        self.assertIn(
            "L'inscription de « Carla Dupont » à « Congrès passé",
            page_text(response))
        self.assertIn(
            "ne peut pas être annulée : elle est « Présente ».",
            page_text(response))
        self.assertEqual(self.database_state(), before)

        # The commune cancels its own
        client = self.bruno()
        csrf = self.csrf(client)
        response = client.post(
            self.url('/registrations/%d/cancel'
                % self.registration_ids['marie_cancel']),
            data={'csrf_token': csrf, 'next': '//evil.example/'})
        self.assertEqual(response.status_code, 303)
        self.assertIn('/registrations?notice=cancelled', response.location)
        self.assertEqual(self.registration_state('marie_cancel'), 'cancelled')
        self.assertEqual(self.registration_state('alice_cancel'), 'registered')

    def test_registrations(self):
        "The registrations page lists the coming and past ones of each"
        response = self.alice().get(self.url('/registrations'))
        self.assertEqual(response.status_code, 200)
        tree = parse_html(response)
        coming, past = tree.xpath('//table')
        coming_text = ' '.join(coming.text_content().split())
        past_text = ' '.join(past.text_content().split())
        self.assertIn("Forum des territoires", coming_text)
        self.assertIn("Congrès passé", past_text)
        self.assertIn("Présence constatée", past_text)
        self.assertNotIn("Marie Maire", page_text(response))
        self.assertNotIn("Webinaire", page_text(response))
        # A badge for a seat, none for a cancelled registration
        badges = tree.xpath('//a[contains(@href, "/badge.pdf")]/@href')
        self.assertIn(
            self.url('/registrations/%d/badge.pdf'
                % self.registration_ids['alice_badge']), badges)
        self.assertNotIn(
            self.url('/registrations/%d/badge.pdf'
                % self.registration_ids['carla_badge']), badges)
        self.assertTrue(tree.xpath('//a[contains(@href, "/calendar.ics")]'))

        response = self.bruno().get(self.url('/registrations'))
        text = page_text(response)
        self.assertIn("Marie Maire", text)
        self.assertIn("Webinaire énergie", text)
        self.assertNotIn("Alice Martin", text)
        self.assertNotIn("Carla Dupont", text)

    def test_badge(self):
        "The badge is the PDF of the registration only"
        client = self.alice()
        response = client.get(self.url('/registrations/%d/badge.pdf'
                % self.registration_ids['alice_badge']))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'application/pdf')
        self.assertIn('attachment', response.headers['Content-Disposition'])
        reader = PdfReader(io.BytesIO(response.get_data()))
        self.assertEqual(len(reader.pages), 1)
        text = reader.pages[0].extract_text()
        self.assertIn("Alice Martin", text)
        self.assertIn("Forum des territoires", text)
        self.assertIn("Énergie Locale SAS", text)
        self.assertNotIn("Marie", text)
        code = self.read(lambda pool: pool.get(
                'association.event.registration')(
                self.registration_ids['alice_badge']).code)
        self.assertIn(code, text)

        for name in ['marie_badge', 'marie_salon', 'carla_badge']:
            response = client.get(self.url('/registrations/%d/badge.pdf'
                    % self.registration_ids[name]))
            self.assertEqual(response.status_code, 404, name)
            self.assertEqual(response.mimetype, 'text/html')

    def test_calendar(self):
        "The calendar invitation of a registration parses"
        client = self.bruno()
        response = client.get(self.url('/registrations/%d/calendar.ics'
                % self.registration_ids['marie_webinar']))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'text/calendar')
        calendar = icalendar.Calendar.from_ical(response.get_data())
        vevent, = calendar.walk('VEVENT')
        self.assertEqual(str(vevent['summary']), "Webinaire énergie")
        start = self.read(lambda pool: pool.get('association.event')(
                self.event_ids['webinar']).start)
        self.assertEqual(
            vevent.decoded('dtstart').astimezone(dt.timezone.utc).replace(
                tzinfo=None), start)
        self.assertEqual(str(vevent['location']), 'https://visio.example/w')

        for name in ['alice_badge', 'alice_cancel', 'carla_past']:
            response = client.get(self.url('/registrations/%d/calendar.ics'
                    % self.registration_ids[name]))
            self.assertEqual(response.status_code, 404, name)

    # Commissions

    def test_commissions(self):
        "The commune reads the sittings and minutes of its commission"
        client = self.bruno()
        response = client.get(self.url('/commissions'))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        self.assertIn("Commission transition", text)
        self.assertIn("Marie Maire", text)
        self.assertIn("Maison des maires et en ligne", text)
        self.assertIn("Commission numérique", text)
        self.assertNotIn("Olga Ancienne", text)
        self.assertNotIn("Commission finances", text)

        response = client.get(self.url('/commissions/%d'
                % self.commission_ids['transition']))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        self.assertIn("Séance de printemps", text)
        self.assertIn("1. Budget 2. Questions diverses", text)
        self.assertIn("Séance de janvier", text)
        links = parse_html(response).xpath(
            '//a[contains(@href, "/minutes")]/@href')
        self.assertEqual(links, [self.url('/commissions/sittings/%d/minutes'
                    % self.event_ids['sitting_past'])])
        response = client.get(links[0])
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.mimetype, 'application/pdf')
        self.assertEqual(response.get_data(), MINUTES)
        self.assertIn(
            'compte-rendu-janvier.pdf',
            response.headers['Content-Disposition'])

        for path in [
                '/commissions/%d' % self.commission_ids['finances'],
                '/commissions/sittings/%d/minutes'
                % self.event_ids['other_sitting'],
                '/commissions/sittings/%d/minutes'
                % self.event_ids['sitting_next'],
                '/commissions/999999',
                ]:
            response = client.get(self.url(path))
            self.assertEqual(response.status_code, 404, path)

        # The company sits in no commission
        client = self.alice()
        response = client.get(self.url('/commissions'))
        self.assertEqual(response.status_code, 200)
        self.assertIn(
            "Votre organisation ne siège dans aucune commission.",
            page_text(response))
        for path in [
                '/commissions/%d' % self.commission_ids['transition'],
                '/commissions/sittings/%d/minutes'
                % self.event_ids['sitting_past'],
                ]:
            response = client.get(self.url(path))
            self.assertEqual(response.status_code, 404, path)
            self.assertNotIn(b'PDF', response.get_data())

    # Dashboard

    def test_dashboard(self):
        "The dashboard shows the next registrations and the open events"
        response = self.bruno().get(self.url('/'))
        self.assertEqual(response.status_code, 200)
        tree = parse_html(response)
        block, = tree.xpath('//section[@aria-labelledby="block-events"]')
        text = ' '.join(block.text_content().split())
        self.assertIn("Webinaire énergie", text)
        self.assertIn("Marie Maire (inscription enregistrée)", text)
        self.assertIn("Salon des maires", text)
        self.assertNotIn("Alice", text)
        block, = tree.xpath(
            '//section[@aria-labelledby="block-commissions"]')
        self.assertIn("Séance de printemps", block.text_content())

        response = self.alice().get(self.url('/'))
        tree = parse_html(response)
        block, = tree.xpath('//section[@aria-labelledby="block-events"]')
        text = ' '.join(block.text_content().split())
        self.assertIn("Forum des territoires", text)
        self.assertIn("Alice Martin", text)
        self.assertNotIn("Marie", text)
        self.assertFalse(tree.xpath(
                '//section[@aria-labelledby="block-commissions"]'))
