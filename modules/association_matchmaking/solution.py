# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.model import DeactivableMixin, Index, ModelSQL, ModelView, fields
from trytond.pyson import Eval, If

BUDGET_HORIZONS = [
    (None, ""),
    ('current_year', "This Year"),
    ('next_year', "Next Year"),
    ('multi_year', "Several Years"),
    ]


class Solution(DeactivableMixin, ModelSQL, ModelView):
    "Innovative Solution"
    __name__ = 'association.matchmaking.solution'

    title = fields.Char("Title", required=True)
    company = fields.Many2One(
        'party.party', "Company", required=True, ondelete='RESTRICT',
        help="The partner company that offers the solution.")
    description = fields.Text("Description")
    themes = fields.Many2Many(
        'association.matchmaking.solution-association.theme', 'solution',
        'theme', "Themes")
    population_min = fields.Integer(
        "Minimum Population",
        domain=[If(Eval('population_min'),
                ('population_min', '>=', 0), ())],
        help="The smallest commune the solution is made for.")
    population_max = fields.Integer(
        "Maximum Population",
        domain=[If(Eval('population_max') & Eval('population_min'),
                ('population_max', '>=', Eval('population_min')), ())],
        help="The largest commune the solution is made for.")
    labels = fields.One2Many(
        'association.matchmaking.solution.label', 'solution', "Labels")
    price_min = fields.Numeric("Price From", digits=(16, 2))
    price_max = fields.Numeric(
        "Price To", digits=(16, 2),
        domain=[If(Eval('price_max') & Eval('price_min'),
                ('price_max', '>=', Eval('price_min')), ())])
    references = fields.Text(
        "References", help="The communes where the solution runs.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.company, Index.Range())))

    def get_rec_name(self, name):
        return self.title

    def fits(self, population):
        "Whether a commune of this population is in the target size"
        if population is None:
            return True
        if self.population_min and population < self.population_min:
            return False
        if self.population_max and population > self.population_max:
            return False
        return True


class SolutionTheme(ModelSQL):
    "Solution - Theme"
    __name__ = 'association.matchmaking.solution-association.theme'
    solution = fields.Many2One(
        'association.matchmaking.solution', "Solution", required=True,
        ondelete='CASCADE')
    theme = fields.Many2One(
        'association.theme', "Theme", required=True, ondelete='CASCADE')


class Label(ModelSQL, ModelView):
    "Solution Label"
    __name__ = 'association.matchmaking.solution.label'
    __access__ = {'solution'}

    solution = fields.Many2One(
        'association.matchmaking.solution', "Solution", required=True,
        ondelete='CASCADE')
    name = fields.Char("Label", required=True)
    body = fields.Many2One(
        'party.party', "Labelling Body", ondelete='RESTRICT')
    date = fields.Date("Date")


class Need(DeactivableMixin, ModelSQL, ModelView):
    "Commune Need"
    __name__ = 'association.matchmaking.need'

    commune = fields.Many2One(
        'party.party', "Commune", required=True, ondelete='RESTRICT',
        domain=[('kind', 'in', ['commune', 'epci', 'ept'])])
    themes = fields.Many2Many(
        'association.matchmaking.need-association.theme', 'need', 'theme',
        "Themes")
    description = fields.Text("Description", required=True)
    population = fields.Function(
        fields.Integer("Population"), 'on_change_with_population')
    budget_horizon = fields.Selection(BUDGET_HORIZONS, "Budget Horizon")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.commune, Index.Range())))

    @fields.depends('commune')
    def on_change_with_population(self, name=None):
        if self.commune:
            return self.commune.population

    def get_rec_name(self, name):
        return '%s: %s' % (
            self.commune.rec_name, (self.description or '').split('\n')[0])


class NeedTheme(ModelSQL):
    "Need - Theme"
    __name__ = 'association.matchmaking.need-association.theme'
    need = fields.Many2One(
        'association.matchmaking.need', "Need", required=True,
        ondelete='CASCADE')
    theme = fields.Many2One(
        'association.theme', "Theme", required=True, ondelete='CASCADE')
