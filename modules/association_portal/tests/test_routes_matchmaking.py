# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The portal's pages of the speed meetings through trytond's WSGI
application

Two companies and two communes, each with a portal account, publish their
solutions and needs, ask each other for meetings, answer and read their
agendas; each tries to read and change what belongs to the others."""
import datetime as dt
import io

from pypdf import PdfReader

from trytond.pool import Pool
from trytond.tests.test_tryton import DB_NAME, RouteTestCase
from trytond.transaction import Transaction

from .tools import (
    EXTRAS, PortalRouteTestMixin, ReachTestMixin, create_organisation,
    create_portal_user, form_values, page_text, parse_html)

ALICE = ('alice@energie-locale.example', 'alice-secret-1')
CARLA = ('carla@mobilite-verte.example', 'carla-secret-1')
BRUNO = ('bruno@melun.example', 'bruno-secret-1')
DIANE = ('diane@provins.example', 'diane-secret-1')


def _create_event(name, start, registration_end, participants):
    "Create an open online speed meeting with two slots and two rooms"
    pool = Pool()
    Event = pool.get('association.event')
    Participant = pool.get('association.matchmaking.participant')
    event, = Event.create([{
                'name': name,
                'kind': 'speed_meeting',
                'format': 'online',
                'online_url': 'https://visio.example/speed',
                'start': start,
                'end': start + dt.timedelta(hours=1),
                'registration_end': registration_end,
                'meeting_maximum': 4,
                'meeting_slots': [('create', [
                            {'start': start, 'duration': dt.timedelta(
                                    minutes=15)},
                            {'start': start + dt.timedelta(minutes=20),
                                'duration': dt.timedelta(minutes=15)},
                            ])],
                'meeting_tables': [('create', [
                            {'name': "Salon 1"}, {'name': "Salon 2"}])],
                }])
    Event.open([event])
    Participant.create([{
                'event': event.id, 'party': party.id, 'side': side}
            for party, side in participants])
    return event


class MatchmakingRouteTestCase(
        ReachTestMixin, PortalRouteTestMixin, RouteTestCase):
    "Test the pages of the speed meetings"
    module = 'association_portal'
    extras = EXTRAS

    @classmethod
    def setUpDatabase(cls):
        pool = Pool()
        Theme = pool.get('association.theme')
        Solution = pool.get('association.matchmaking.solution')
        Need = pool.get('association.matchmaking.need')
        Request = pool.get('association.matchmaking.request')
        Meeting = pool.get('association.matchmaking.meeting')
        Event = pool.get('association.event')
        energy, mobility = Theme.create([
                {'name': "Énergie", 'code': 'ENERGIE'},
                {'name': "Mobilité", 'code': 'MOBILITE'},
                ])
        company = create_organisation("Énergie Locale SAS")
        other_company = create_organisation("Mobilité Verte SARL")
        commune = create_organisation("Melun", kind='commune')
        other_commune = create_organisation("Provins", kind='commune')
        for organisation, name, (email, password) in [
                (company, "Alice Martin", ALICE),
                (other_company, "Carla Duval", CARLA),
                (commune, "Bruno Petit", BRUNO),
                (other_commune, "Diane Roux", DIANE),
                ]:
            create_portal_user(organisation, name, email, password)

        solar, heat, bus, withdrawn = Solution.create([{
                    'title': "Toitures solaires",
                    'company': company.id,
                    'description': "Panneaux sur les écoles.",
                    'themes': [('add', [energy.id])],
                    }, {
                    'title': "Réseau de chaleur",
                    'company': company.id,
                    'themes': [('add', [energy.id])],
                    }, {
                    'title': "Navette électrique",
                    'company': other_company.id,
                    'themes': [('add', [mobility.id])],
                    }, {
                    'title': "Ancienne offre",
                    'company': company.id,
                    'active': False,
                    }])
        need, other_need = Need.create([{
                    'commune': commune.id,
                    'description': "Rénover l'éclairage public\nEn 2027",
                    'themes': [('add', [energy.id])],
                    'budget_horizon': 'next_year',
                    }, {
                    'commune': other_commune.id,
                    'description': "Un transport à la demande",
                    'themes': [('add', [mobility.id])],
                    }])

        now = dt.datetime.now().replace(microsecond=0)
        start = (now + dt.timedelta(days=30)).replace(
            hour=12, minute=0, second=0)
        # The speed meeting of all four, open to requests
        event = _create_event(
            "Speed meeting innovation", start, now + dt.timedelta(days=10), [
                (company, 'company'), (other_company, 'company'),
                (commune, 'commune'), (other_commune, 'commune')])
        p_company, p_other_company, p_commune, p_other_commune = (
            event.meeting_participants)
        # Melun met Énergie Locale; Provins waits for an answer
        met, waiting = Request.create([{
                    'event': event.id, 'requester': p_commune.id,
                    'requested': p_company.id, 'solution': solar.id,
                    'message': "Parlons des écoles.",
                    }, {
                    'event': event.id, 'requester': p_other_commune.id,
                    'requested': p_company.id,
                    'message': "Nous avons un projet.",
                    }])
        Request.accept([met])
        slot = event.meeting_slots[0]
        table = event.meeting_tables[0]
        meeting, = Meeting.create([{
                    'event': event.id, 'request': met.id,
                    'slot': slot.id, 'table': table.id,
                    }])
        # A speed meeting whose requests are closed
        closed = _create_event(
            "Speed meeting clos", start + dt.timedelta(days=2),
            now + dt.timedelta(days=3),
            [(company, 'company'), (commune, 'commune')])
        # A speed meeting that is over, with a request left unanswered
        over = _create_event(
            "Speed meeting passé", start + dt.timedelta(days=3),
            now + dt.timedelta(days=3),
            [(company, 'company'), (commune, 'commune')])
        late, = Request.create([{
                    'event': over.id,
                    'requester': over.meeting_participants[1].id,
                    'requested': over.meeting_participants[0].id,
                    }])
        Event.write([closed, over], {
                'registration_end': now - dt.timedelta(days=1)})
        Event.do([over])
        # A speed meeting that nobody joined yet, and a draft one
        upcoming = _create_event(
            "Speed meeting mobilité", start + dt.timedelta(days=7),
            now + dt.timedelta(days=20), [])
        draft, = Event.create([{
                    'name': "Speed meeting en préparation",
                    'kind': 'speed_meeting',
                    'start': start, 'end': start + dt.timedelta(hours=1),
                    }])

        cls.company_id = company.id
        cls.other_company_id = other_company.id
        cls.commune_id = commune.id
        cls.other_commune_id = other_commune.id
        cls.solution_ids = {
            'solar': solar.id, 'heat': heat.id, 'bus': bus.id,
            'withdrawn': withdrawn.id}
        cls.need_ids = {'need': need.id, 'other': other_need.id}
        cls.theme_ids = {'energy': energy.id, 'mobility': mobility.id}
        cls.event_ids = {
            'event': event.id, 'closed': closed.id, 'over': over.id,
            'upcoming': upcoming.id, 'draft': draft.id}
        cls.participant_ids = {
            'company': p_company.id, 'other_company': p_other_company.id,
            'commune': p_commune.id, 'other_commune': p_other_commune.id,
            'closed_company': closed.meeting_participants[0].id,
            }
        cls.request_ids = {
            'met': met.id, 'waiting': waiting.id, 'late': late.id}
        cls.meeting_id = meeting.id
        cls.closed_date = closed.start.date().strftime('%d/%m/%Y')
        cls.over_date = over.start.date().strftime('%d/%m/%Y')
        cls.video_url = table.video_url

    def login(self, account):
        "Return a client signed in with the (e-mail, password) account"
        return super().login(*account)

    def read(self, func):
        "Return the result of func in a new transaction, inactive included"
        def read(pool):
            with Transaction().set_context(active_test=False):
                return func(pool)
        return super().read(read)

    def snapshot(self):
        "Return what the pages may change"
        def read(pool):
            Participant = pool.get('association.matchmaking.participant')
            Solution = pool.get('association.matchmaking.solution')
            Need = pool.get('association.matchmaking.need')
            Request = pool.get('association.matchmaking.request')
            Meeting = pool.get('association.matchmaking.meeting')
            return {
                'participants': sorted(
                    (p.id, p.event.id, p.party.id)
                    for p in Participant.search([])),
                'solutions': sorted(
                    (s.id, s.company.id, s.title, s.description, s.active,
                        s.population_min, s.population_max, s.price_min,
                        s.price_max, s.references,
                        tuple(sorted(t.id for t in s.themes)))
                    for s in Solution.search([])),
                'needs': sorted(
                    (n.id, n.commune.id, n.description, n.active,
                        n.budget_horizon,
                        tuple(sorted(t.id for t in n.themes)))
                    for n in Need.search([])),
                'requests': sorted(
                    (r.id, r.requester.id, r.requested.id, r.state,
                        r.solution.id if r.solution else None,
                        r.need.id if r.need else None,
                        r.priority, r.message)
                    for r in Request.search([])),
                'meetings': sorted(
                    (m.id, m.request.id) for m in Meeting.search([])),
                }
        return self.read(read)

    def setUp(self):
        super().setUp()
        # The tests share the database: each one leaves it as it found it
        self.addCleanup(self.restore, self.snapshot())

    def restore(self, snapshot):
        "Put back the records of the snapshot and delete the others"
        with Transaction().start(DB_NAME, 0), \
                Transaction().set_context(active_test=False):
            pool = Pool()
            Participant = pool.get('association.matchmaking.participant')
            Solution = pool.get('association.matchmaking.solution')
            Need = pool.get('association.matchmaking.need')
            Request = pool.get('association.matchmaking.request')
            for Model, key in [
                    (Request, 'requests'), (Participant, 'participants'),
                    (Solution, 'solutions'), (Need, 'needs')]:
                ids = {r[0] for r in snapshot[key]}
                Model.delete(Model.search([('id', 'not in', list(ids))]))
            for id_, *_, state, _, _, _, _ in snapshot['requests']:
                Request.write([Request(id_)], {'state': state})
            for (id_, _, title, description, active, population_min,
                    population_max, price_min, price_max, references,
                    themes) in snapshot['solutions']:
                Solution.write([Solution(id_)], {
                        'title': title, 'description': description,
                        'active': active, 'population_min': population_min,
                        'population_max': population_max,
                        'price_min': price_min, 'price_max': price_max,
                        'references': references,
                        'themes': [
                            ('remove', [t.id for t in Solution(id_).themes
                                    if t.id not in themes]),
                            ('add', list(themes))]})
            for (id_, _, description, active, horizon,
                    themes) in snapshot['needs']:
                Need.write([Need(id_)], {
                        'description': description, 'active': active,
                        'budget_horizon': horizon,
                        'themes': [
                            ('remove', [t.id for t in Need(id_).themes
                                    if t.id not in themes]),
                            ('add', list(themes))]})
        self.assertEqual(self.snapshot(), snapshot)

    def request_state(self, request_id):
        def read(pool):
            Request = pool.get('association.matchmaking.request')
            return Request(request_id).state
        return self.read(read)

    def assertRefused(self, response, status, text=None):
        self.assertEqual(response.status_code, status)
        if text:
            self.assertIn(text, page_text(response))
        self.assertNotIn("Traceback", page_text(response))

    # Menu and dashboard

    def test_menu_and_dashboard(self):
        "The dashboard shows the requests to answer and the next meetings"
        client = self.login(ALICE)
        response = client.get(self.url('/'))
        self.assertEqual(response.status_code, 200)
        nav = [a.text_content()
            for a in parse_html(response).xpath('//nav//a')]
        self.assertIn("Speed meetings", nav)
        text = page_text(response)
        self.assertIn("1 demande en attente de votre réponse", text)
        self.assertIn("Provins (Speed meeting innovation)", text)
        self.assertIn("Melun · Salon 1", text)
        links = parse_html(response).xpath(
            '//section[@aria-labelledby="block-matchmaking"]//a/@href')
        self.assertIn(self.video_url, links)

        client = self.login(CARLA)
        text = page_text(client.get(self.url('/')))
        self.assertIn("Aucune demande n'attend votre réponse.", text)
        self.assertIn("Aucun rendez-vous planifié.", text)
        self.assertNotIn("Provins", text)
        self.assertNotIn("Melun", text)

    def test_speed_meetings(self):
        "An organisation sees its speed meetings and those it can join"
        client = self.login(ALICE)
        response = client.get(self.url('/speed-meetings'))
        self.assertEqual(response.status_code, 200)
        tree = parse_html(response)
        self.assertEqual(
            tree.xpath('//nav//a[@aria-current="page"]/text()'),
            ["Speed meetings"])
        mine = [' '.join(r.text_content().split())
            for r in tree.xpath('//section[@aria-labelledby='
                '"participations"]//tbody/tr')]
        self.assertEqual(len(mine), 3)
        innovation, = [r for r in mine if "innovation" in r]
        self.assertIn("1 en attente", innovation)
        self.assertIn("1 rendez-vous", innovation)
        joinable = ' '.join(tree.xpath(
                'string(//section[@aria-labelledby="ouverts"])').split())
        self.assertIn("Speed meeting mobilité", joinable)
        self.assertNotIn("innovation", joinable)
        self.assertNotIn("en préparation", page_text(response))
        self.assertIn("Gérer les solutions", page_text(response))

        client = self.login(BRUNO)
        response = client.get(self.url('/speed-meetings'))
        self.assertIn("Gérer les besoins", page_text(response))

    def test_join(self):
        "A company joins an open speed meeting, not a closed one"
        client = self.login(CARLA)
        csrf = self.csrf(client)
        before = self.snapshot()
        for event, status, message in [
                ('closed', 400, "Les inscriptions à « Speed meeting clos "
                    "(%s) » sont closes." % self.closed_date),
                ('draft', 404, "Page introuvable"),
                ('over', 404, "Page introuvable"),
                ]:
            response = client.post(self.url(
                    '/speed-meetings/%d/join' % self.event_ids[event]),
                data={'csrf_token': csrf})
            self.assertRefused(response, status, message)
        response = client.post(self.url('/speed-meetings/999999/join'),
            data={'csrf_token': csrf})
        self.assertRefused(response, 404)
        self.assertEqual(self.snapshot(), before)

        path = '/speed-meetings/%d' % self.event_ids['upcoming']
        self.assertEqual(client.get(self.url(path)).status_code, 404)
        response = client.post(self.url(path + '/join'), data={
                'csrf_token': csrf,
                # Another organisation in the form is ignored
                'party': str(self.company_id),
                })
        self.assertEqual(response.status_code, 303)
        after = self.snapshot()
        new, = set(after['participants']) - set(before['participants'])
        self.assertEqual(
            new[1:], (self.event_ids['upcoming'], self.other_company_id))
        response = client.get(self.url(path + '?notice=joined'))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Votre organisation participe", page_text(response))
        # Joining again changes nothing
        response = client.post(self.url(path + '/join'), data={
                'csrf_token': csrf})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.snapshot(), after)

    # Solutions

    def test_solutions(self):
        "A company publishes, edits, withdraws and publishes a solution"
        client = self.login(CARLA)
        response = client.get(self.url('/speed-meetings/solutions'))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        self.assertIn("Navette électrique", text)
        self.assertNotIn("Toitures solaires", text)

        response = client.get(self.url('/speed-meetings/solutions/new'))
        self.assertEqual(response.status_code, 200)
        tree = parse_html(response)
        for field in tree.xpath(
                '//main//input[@type!="hidden"]|//main//textarea'
                '|//main//select'):
            self.assertTrue(
                tree.xpath('//label[@for=$id]', id=field.get('id')),
                field.get('name'))
        values = form_values(response, '/speed-meetings/solutions')
        values.update({
                'title': "Vélos en libre-service",
                'description': "Des stations pour les bourgs.",
                'themes': [str(self.theme_ids['mobility'])],
                'population_min': '2 000',
                'population_max': '50000',
                'price_min': '10 000,50',
                'price_max': '',
                'references': "Fontainebleau",
                'company': str(self.company_id),
                })
        before = self.snapshot()
        response = client.post(
            self.url('/speed-meetings/solutions'), data=values)
        self.assertEqual(response.status_code, 303)
        after = self.snapshot()
        new, = set(after['solutions']) - set(before['solutions'])
        solution_id = new[0]
        self.assertEqual(new[1:], (
                self.other_company_id, "Vélos en libre-service",
                "Des stations pour les bourgs.", True, 2000, 50000,
                new[7], None, "Fontainebleau",
                (self.theme_ids['mobility'],)))
        self.assertEqual(str(new[7]), '10000.50')

        path = '/speed-meetings/solutions/%d' % solution_id
        response = client.get(self.url(path + '?notice=saved'))
        self.assertEqual(response.status_code, 200)
        self.assertIn("Les informations sont enregistrées.",
            page_text(response))
        values = form_values(response, path)
        self.assertEqual(values['population_min'], '2000')
        values['title'] = "Vélos partagés"
        response = client.post(self.url(path), data=values)
        self.assertEqual(response.status_code, 303)

        csrf = values['csrf_token']
        response = client.post(self.url(path + '/withdraw'), data={
                'csrf_token': csrf})
        self.assertEqual(response.status_code, 303)
        response = client.get(self.url(
                '/speed-meetings/solutions?notice=withdrawn'))
        text = page_text(response)
        self.assertIn("Vélos partagés Mobilité Retirée", text)
        self.assertIn("L'offre est retirée", text)
        response = client.post(self.url(path + '/publish'), data={
                'csrf_token': csrf})
        self.assertEqual(response.status_code, 303)
        solution, = [s for s in self.snapshot()['solutions']
            if s[0] == solution_id]
        self.assertEqual(solution[2], "Vélos partagés")
        self.assertTrue(solution[4])

    def test_solution_invalid(self):
        "Invalid solutions are refused in French and nothing is written"
        client = self.login(ALICE)
        csrf = self.csrf(client)
        before = self.snapshot()
        edit = '/speed-meetings/solutions/%d' % self.solution_ids['solar']
        for data, message in [
                ({'title': ''}, "« Titre »"),
                ({'title': "X", 'population_min': 'beaucoup'},
                    "« beaucoup » n'est pas un nombre entier : "
                    "saisissez « Population minimale » en chiffres."),
                ({'title': "X", 'price_max': '12,345'},
                    "« 12,345 » n'est pas un montant"),
                ({'title': "X", 'price_min': '1e400'},
                    "« 1e400 » n'est pas un montant"),
                ({'title': "X", 'price_max': '-Infinity'},
                    "« -Infinity » n'est pas un montant"),
                ({'title': "X", 'themes': [str(2 ** 63)]},
                    "Choisissez les thèmes parmi ceux de la liste."),
                (dict(title="X", population_min='5000', population_max='100'),
                    "« Population maximale »"),
                ({'title': "X", 'themes': ['999999']},
                    "Choisissez les thèmes parmi ceux de la liste."),
                ({'title': "X", 'themes': ['abc']},
                    "Choisissez les thèmes parmi ceux de la liste."),
                ]:
            data['csrf_token'] = csrf
            for path in ['/speed-meetings/solutions', edit]:
                response = client.post(self.url(path), data=data)
                self.assertRefused(response, 400, message)
                text = page_text(response)
                self.assertIn("Corrigez l'erreur suivante", text)
                self.assertEqual(self.snapshot(), before)
        # The values typed are kept in the form
        tree = parse_html(response)
        self.assertEqual(tree.xpath('//input[@id="title"]/@value'), ['X'])

    def test_solution_other_organisation(self):
        "The solutions of another company cannot be read or changed by id"
        client = self.login(CARLA)
        csrf = self.csrf(client)
        before = self.snapshot()
        for key in ['solar', 'withdrawn']:
            path = '/speed-meetings/solutions/%d' % self.solution_ids[key]
            self.assertRefused(client.get(self.url(path)), 404)
            for suffix in ['', '/withdraw', '/publish']:
                response = client.post(self.url(path + suffix), data={
                        'csrf_token': csrf, 'title': "Piraté"})
                self.assertRefused(response, 404, "Page introuvable")
        self.assertRefused(client.get(self.url(
                    '/speed-meetings/solutions/999999')), 404)
        self.assertEqual(self.snapshot(), before)
        # A commune has no solutions
        client = self.login(BRUNO)
        csrf = self.csrf(client)
        for path in ['/speed-meetings/solutions',
                '/speed-meetings/solutions/new']:
            self.assertRefused(client.get(self.url(path)), 404)
        response = client.post(self.url('/speed-meetings/solutions'), data={
                'csrf_token': csrf, 'title': "Une solution"})
        self.assertRefused(response, 404)
        self.assertEqual(self.snapshot(), before)

    # Needs

    def test_needs(self):
        "A commune expresses, edits and withdraws a need"
        client = self.login(DIANE)
        response = client.get(self.url('/speed-meetings/needs'))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        self.assertIn("Un transport à la demande", text)
        self.assertNotIn("éclairage", text)
        response = client.get(self.url('/speed-meetings/needs/new'))
        values = form_values(response, '/speed-meetings/needs')
        values.update({
                'description': "Isoler les écoles\nAvant l'hiver",
                'budget_horizon': 'current_year',
                'themes': [str(self.theme_ids['energy'])],
                'commune': str(self.commune_id),
                })
        before = self.snapshot()
        response = client.post(
            self.url('/speed-meetings/needs'), data=values)
        self.assertEqual(response.status_code, 303)
        new, = set(self.snapshot()['needs']) - set(before['needs'])
        self.assertEqual(new[1:], (
                self.other_commune_id, "Isoler les écoles\nAvant l'hiver",
                True, 'current_year', (self.theme_ids['energy'],)))
        path = '/speed-meetings/needs/%d' % new[0]
        response = client.get(self.url(path))
        self.assertIn("Isoler les écoles", page_text(response))
        values = form_values(response, path)
        self.assertEqual(values['budget_horizon'], 'current_year')
        values['budget_horizon'] = ''
        response = client.post(self.url(path), data=values)
        self.assertEqual(response.status_code, 303)
        response = client.post(self.url(path + '/withdraw'), data={
                'csrf_token': values['csrf_token']})
        self.assertEqual(response.status_code, 303)
        need, = [n for n in self.snapshot()['needs'] if n[0] == new[0]]
        self.assertEqual(need[3:5], (False, None))

    def test_need_invalid(self):
        "Invalid needs are refused in French and nothing is written"
        client = self.login(BRUNO)
        csrf = self.csrf(client)
        before = self.snapshot()
        edit = '/speed-meetings/needs/%d' % self.need_ids['need']
        for data, message in [
                ({'description': '   '}, "« Description »"),
                ({'description': "Un besoin", 'budget_horizon': 'jamais'},
                    "Choisissez l'horizon du budget parmi ceux de la liste."),
                ({'description': "Un besoin", 'themes': ['999999']},
                    "Choisissez les thèmes parmi ceux de la liste."),
                ]:
            data['csrf_token'] = csrf
            for path in ['/speed-meetings/needs', edit]:
                response = client.post(self.url(path), data=data)
                self.assertRefused(response, 400, message)
                self.assertEqual(self.snapshot(), before)

    def test_need_other_organisation(self):
        "The needs of another commune cannot be read or changed by id"
        client = self.login(DIANE)
        csrf = self.csrf(client)
        before = self.snapshot()
        path = '/speed-meetings/needs/%d' % self.need_ids['need']
        self.assertRefused(client.get(self.url(path)), 404)
        for suffix in ['', '/withdraw', '/publish']:
            response = client.post(self.url(path + suffix), data={
                    'csrf_token': csrf, 'description': "Piraté"})
            self.assertRefused(response, 404, "Page introuvable")
        client = self.login(ALICE)
        self.assertRefused(
            client.get(self.url('/speed-meetings/needs')), 404)
        self.assertRefused(client.get(self.url(path)), 404)
        self.assertEqual(self.snapshot(), before)

    # Browsing and requests

    def test_browse_and_request(self):
        "A commune browses the companies and asks one for a meeting"
        client = self.login(DIANE)
        event = self.event_ids['event']
        response = client.get(self.url('/speed-meetings/%d' % event))
        self.assertEqual(response.status_code, 200)
        text = page_text(response)
        self.assertIn("Énergie Locale SAS", text)
        self.assertIn("Toitures solaires (Énergie)", text)
        self.assertIn("Navette électrique (Mobilité)", text)
        self.assertNotIn("Ancienne offre", text)
        self.assertNotIn("Melun", text)
        response = client.get(self.url('/speed-meetings/%d?theme=%d' % (
                    event, self.theme_ids['mobility'])))
        text = page_text(response)
        self.assertIn("Navette électrique", text)
        self.assertNotIn("Toitures solaires", text)

        path = '/speed-meetings/%d/participants/%d' % (
            event, self.participant_ids['other_company'])
        response = client.get(self.url(path))
        self.assertEqual(response.status_code, 200)
        tree = parse_html(response)
        for field in tree.xpath(
                '//main//input[@type!="hidden"]|//main//textarea'
                '|//main//select'):
            self.assertTrue(
                tree.xpath('//label[@for=$id]', id=field.get('id')),
                field.get('name'))
        values = form_values(
            response, '/speed-meetings/%d/requests' % event)
        self.assertEqual(
            values['requested'], str(self.participant_ids['other_company']))
        values.update({
                'solution': str(self.solution_ids['bus']),
                'need': str(self.need_ids['other']),
                'priority': '3',
                'message': "Nos villages sont mal desservis.",
                })
        before = self.snapshot()
        response = client.post(
            self.url('/speed-meetings/%d/requests' % event), data=values)
        self.assertEqual(response.status_code, 303)
        self.assertIn('notice=request_sent', response.location)
        new, = set(self.snapshot()['requests']) - set(before['requests'])
        self.assertEqual(new[1:], (
                self.participant_ids['other_commune'],
                self.participant_ids['other_company'], 'pending',
                self.solution_ids['bus'], self.need_ids['other'], '3',
                "Nos villages sont mal desservis."))
        response = client.get(self.url(
                '/speed-meetings/%d/requests?notice=request_sent' % event))
        text = page_text(response)
        self.assertIn("La demande de rendez-vous est envoyée.", text)
        self.assertIn("Mobilité Verte SARL Navette électrique", text)

        # The company sees the request and its message
        carla = self.login(CARLA)
        response = carla.get(self.url(
                '/speed-meetings/%d/requests' % event))
        text = page_text(response)
        self.assertIn("Provins Navette électrique", text)
        self.assertIn("Nos villages sont mal desservis.", text)
        self.assertIn("En attente de réponse", text)

        # The requester withdraws it while it is pending
        after = self.snapshot()
        response = carla.post(
            self.url('/speed-meetings/requests/%d/withdraw' % new[0]),
            data={'csrf_token': self.csrf(carla)})
        self.assertRefused(response, 404)
        self.assertEqual(self.snapshot(), after)
        response = client.post(
            self.url('/speed-meetings/requests/%d/withdraw' % new[0]),
            data={'csrf_token': values['csrf_token']})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.snapshot(), before)

    def test_request_invalid(self):
        "The rules of the requests are shown in French, nothing is created"
        client = self.login(BRUNO)
        csrf = self.csrf(client)
        event = self.event_ids['event']
        path = '/speed-meetings/%d/requests' % event
        before = self.snapshot()
        company = str(self.participant_ids['company'])
        other_company = str(self.participant_ids['other_company'])
        for data, status, message in [
                # Asked already
                ({'requested': company}, 400,
                    "Un participant ne demande qu'une fois un rendez-vous "
                    "à un autre."),
                # Another commune, or itself: not offered, and not named
                ({'requested': str(self.participant_ids['other_commune'])},
                    404, "Page introuvable"),
                ({'requested': str(self.participant_ids['commune'])},
                    404, "Page introuvable"),
                # The solution of another company
                (dict(requested=other_company, solution=str(
                            self.solution_ids['solar'])),
                    400, "Choisissez la solution parmi celles de la liste."),
                # The need of another commune
                (dict(requested=other_company, need=str(
                            self.need_ids['other'])),
                    400, "Choisissez le besoin parmi ceux de la liste."),
                ({'requested': other_company, 'priority': '9'},
                    400, "Choisissez la priorité parmi celles de la liste."),
                ({'requested': other_company, 'message': 'x' * 2001},
                    400, "« Message »"),
                # A participant of another event
                ({'requested': str(self.participant_ids['closed_company'])},
                    404, "Page introuvable"),
                ({'requested': 'abc'}, 404, "Page introuvable"),
                ]:
            data['csrf_token'] = csrf
            response = client.post(self.url(path), data=data)
            self.assertRefused(response, status, message)
            self.assertEqual(self.snapshot(), before)
        # The message typed is kept in the form
        response = client.post(self.url(path), data={
                'csrf_token': csrf, 'requested': other_company,
                'priority': '0', 'message': "Bonjour"})
        tree = parse_html(response)
        self.assertEqual(tree.xpath('//textarea[@id="message"]/text()'),
            ["Bonjour"])

        # The requests of a speed meeting are closed after its deadline
        response = client.post(self.url(
                '/speed-meetings/%d/requests' % self.event_ids['closed']),
            data={'csrf_token': csrf, 'requested': str(
                    self.participant_ids['closed_company'])})
        self.assertRefused(response, 400,
            "Les inscriptions à « Speed meeting clos (%s) » sont closes : "
            "plus de demande de rendez-vous." % self.closed_date)
        self.assertEqual(self.snapshot(), before)

    def test_event_other_organisation(self):
        "The pages of a speed meeting are only for its participants"
        client = self.login(CARLA)
        csrf = self.csrf(client)
        before = self.snapshot()
        for key in ['closed', 'over', 'draft']:
            event = self.event_ids[key]
            for path in ['', '/requests', '/agenda', '/agenda.ics',
                    '/agenda.pdf', '/participants/%d' % (
                        self.participant_ids['closed_company'])]:
                response = client.get(self.url(
                        '/speed-meetings/%d%s' % (event, path)))
                self.assertRefused(response, 404)
            response = client.post(self.url(
                    '/speed-meetings/%d/requests' % event), data={
                    'csrf_token': csrf,
                    'requested': str(self.participant_ids['commune'])})
            self.assertRefused(response, 404)
        # Only the participants of the other side are shown
        event = self.event_ids['event']
        for key in ['company', 'other_company']:
            response = client.get(self.url(
                    '/speed-meetings/%d/participants/%d' % (
                        event, self.participant_ids[key])))
            self.assertRefused(response, 404)
        # A request to a company is refused without naming it
        response = client.post(self.url(
                '/speed-meetings/%d/requests' % event), data={
                'csrf_token': csrf,
                'requested': str(self.participant_ids['company'])})
        self.assertRefused(response, 404, "Page introuvable")
        self.assertNotIn("Énergie Locale", page_text(response))
        self.assertEqual(self.snapshot(), before)

    # Answers

    def test_answer(self):
        "A company accepts and declines the requests it received only"
        waiting = self.request_ids['waiting']
        accept = '/speed-meetings/requests/%d/accept' % waiting
        decline = '/speed-meetings/requests/%d/decline' % waiting
        # Neither another company nor the requester can answer
        for account in [CARLA, DIANE]:
            client = self.login(account)
            csrf = self.csrf(client)
            for path in [accept, decline]:
                response = client.post(self.url(path), data={
                        'csrf_token': csrf})
                self.assertRefused(response, 404, "Page introuvable")
                self.assertEqual(self.request_state(waiting), 'pending')

        client = self.login(ALICE)
        csrf = self.csrf(client)
        event = self.event_ids['event']
        response = client.get(self.url(
                '/speed-meetings/%d/requests' % event))
        text = page_text(response)
        self.assertIn("Provins Nous avons un projet.", text)
        form_values(response, accept)
        response = client.post(self.url(accept), data={'csrf_token': csrf})
        self.assertEqual(response.status_code, 303)
        self.assertIn('notice=accepted', response.location)
        self.assertEqual(self.request_state(waiting), 'accepted')
        response = client.post(self.url(decline), data={'csrf_token': csrf})
        self.assertEqual(response.status_code, 303)
        self.assertEqual(self.request_state(waiting), 'declined')
        response = client.get(self.url(
                '/speed-meetings/%d/requests?notice=declined' % event))
        self.assertIn("La demande est refusée.", page_text(response))
        # An answered request cannot be withdrawn by its requester
        diane = self.login(DIANE)
        response = diane.post(
            self.url('/speed-meetings/requests/%d/withdraw' % waiting),
            data={'csrf_token': self.csrf(diane)})
        self.assertRefused(response, 400,
            "Énergie Locale SAS a répondu à la demande")
        self.assertEqual(self.request_state(waiting), 'declined')
        client.post(self.url(accept), data={'csrf_token': csrf})
        self.assertEqual(self.request_state(waiting), 'accepted')

    def test_answer_over(self):
        "The requests of a speed meeting that is over cannot be answered"
        client = self.login(ALICE)
        csrf = self.csrf(client)
        late = self.request_ids['late']
        response = client.get(self.url(
                '/speed-meetings/%d/requests' % self.event_ids['over']))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(parse_html(response).xpath(
                '//form[contains(@action, "/accept")]'))
        response = client.post(self.url(
                '/speed-meetings/requests/%d/accept' % late),
            data={'csrf_token': csrf})
        self.assertRefused(response, 400,
            "Le speed meeting « Speed meeting passé (%s) » est terminé"
            % self.over_date)
        self.assertEqual(self.request_state(late), 'pending')

    # Agenda

    def test_agenda(self):
        "Each side reads its agenda, its calendar and its PDF"
        event = self.event_ids['event']
        for account, other in [(ALICE, "Melun"), (BRUNO, "Énergie Locale")]:
            client = self.login(account)
            response = client.get(self.url(
                    '/speed-meetings/%d/agenda' % event))
            self.assertEqual(response.status_code, 200)
            tree = parse_html(response)
            row, = tree.xpath('//tbody/tr')
            text = ' '.join(row.text_content().split())
            self.assertIn(other, text)
            self.assertIn("Salon 1", text)
            self.assertIn(
                self.video_url, row.xpath('.//a/@href'))
            self.assertIn("Rejoindre la visio", text)

            response = client.get(self.url(
                    '/speed-meetings/%d/agenda.ics' % event))
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.mimetype, 'text/calendar')
            ics = response.get_data(as_text=True)
            self.assertEqual(ics.count('BEGIN:VEVENT'), 1)
            self.assertIn(self.video_url, ics.replace('\r\n ', ''))
            self.assertIn(other, ics)

            response = client.get(self.url(
                    '/speed-meetings/meetings/%d.ics' % self.meeting_id))
            self.assertEqual(response.status_code, 200)
            self.assertIn(other, response.get_data(as_text=True))

            response = client.get(self.url(
                    '/speed-meetings/%d/agenda.pdf' % event))
            self.assertEqual(response.status_code, 200)
            self.assertEqual(response.mimetype, 'application/pdf')
            reader = PdfReader(io.BytesIO(response.get_data()))
            pdf = ' '.join(' '.join(
                    p.extract_text() for p in reader.pages).split())
            self.assertIn(other, pdf)
            self.assertIn("Toitures solaires", pdf)
            self.assertIn(
                self.video_url, pdf.replace(' ', ''))

    def test_agenda_other_organisation(self):
        "Nobody reads the meetings of others"
        event = self.event_ids['event']
        for account in [CARLA, DIANE]:
            client = self.login(account)
            response = client.get(self.url(
                    '/speed-meetings/%d/agenda' % event))
            self.assertEqual(response.status_code, 200)
            text = page_text(response)
            self.assertIn("Aucun rendez-vous n'est encore planifié", text)
            self.assertNotIn("Salon 1", text)
            self.assertNotIn(self.video_url, response.get_data(as_text=True))
            ics = client.get(self.url(
                    '/speed-meetings/%d/agenda.ics' % event))
            self.assertNotIn('BEGIN:VEVENT', ics.get_data(as_text=True))
            for meeting in [self.meeting_id, 999999]:
                response = client.get(self.url(
                        '/speed-meetings/meetings/%d.ics' % meeting))
                self.assertRefused(response, 404)

    # Sessions and CSRF

    def posts(self):
        "The POST routes with the form of a valid change"
        event = self.event_ids['event']
        return [
            ('/speed-meetings/%d/join' % self.event_ids['upcoming'], {}),
            ('/speed-meetings/%d/requests' % event, {
                    'requested': str(self.participant_ids['other_company'])}),
            ('/speed-meetings/requests/%d/accept'
                % self.request_ids['waiting'], {}),
            ('/speed-meetings/requests/%d/decline'
                % self.request_ids['waiting'], {}),
            ('/speed-meetings/requests/%d/withdraw'
                % self.request_ids['waiting'], {}),
            ('/speed-meetings/solutions', {'title': "Nouvelle"}),
            ('/speed-meetings/solutions/%d' % self.solution_ids['solar'],
                {'title': "Changée"}),
            ('/speed-meetings/solutions/%d/withdraw'
                % self.solution_ids['solar'], {}),
            ('/speed-meetings/solutions/%d/publish'
                % self.solution_ids['withdrawn'], {}),
            ('/speed-meetings/needs', {'description': "Nouveau"}),
            ('/speed-meetings/needs/%d' % self.need_ids['need'],
                {'description': "Changé"}),
            ('/speed-meetings/needs/%d/withdraw' % self.need_ids['need'],
                {}),
            ('/speed-meetings/needs/%d/publish' % self.need_ids['need'],
                {}),
            ]

    def gets(self):
        event = self.event_ids['event']
        return [
            '/speed-meetings',
            '/speed-meetings/%d' % event,
            '/speed-meetings/%d/participants/%d' % (
                event, self.participant_ids['company']),
            '/speed-meetings/%d/requests' % event,
            '/speed-meetings/%d/agenda' % event,
            '/speed-meetings/%d/agenda.ics' % event,
            '/speed-meetings/%d/agenda.pdf' % event,
            '/speed-meetings/meetings/%d.ics' % self.meeting_id,
            '/speed-meetings/solutions',
            '/speed-meetings/solutions/new',
            '/speed-meetings/solutions/%d' % self.solution_ids['solar'],
            '/speed-meetings/needs',
            '/speed-meetings/needs/new',
            '/speed-meetings/needs/%d' % self.need_ids['need'],
            ]

    def test_pages_accessible(self):
        "Every page is French, has one title and labelled fields"
        for account in [ALICE, BRUNO]:
            client = self.login(account)
            for path in self.gets():
                response = client.get(self.url(path))
                if response.mimetype != 'text/html':
                    continue
                if response.status_code == 404:
                    # The pages of the other side
                    continue
                self.assertEqual(response.status_code, 200, path)
                tree = parse_html(response)
                self.assertEqual(tree.get('lang'), 'fr')
                self.assertEqual(len(tree.xpath('//h1')), 1, path)
                for field in tree.xpath(
                        '//main//input[@type!="hidden"]|//main//textarea'
                        '|//main//select'):
                    self.assertTrue(tree.xpath(
                            '//label[@for=$id]', id=field.get('id')),
                        (path, field.get('name')))
                for th in tree.xpath('//table//th'):
                    self.assertIn(th.get('scope'), {'col', 'row'}, path)
