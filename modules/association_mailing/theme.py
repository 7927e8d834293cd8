# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"""The rule of the audiences on the themes of interest: the people whose
interest in a theme the association saw, as members of a commission on the
theme or as registrants of an event or a cycle on it"""
from trytond.model import fields
from trytond.pool import Pool, PoolMeta
from trytond.pyson import Eval

from .audience import search_rows
from .event import REGISTERED


class AudienceRule(metaclass=PoolMeta):
    __name__ = 'association.mailing.audience.rule'

    theme = fields.Many2One(
        'association.theme', "Theme", ondelete='RESTRICT',
        states={
            'invisible': Eval('source') != 'theme',
            'required': Eval('source') == 'theme',
            },
        help="With its sub-themes.")

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls.source.selection.append(('theme', "Themes of Interest"))

    def _compute_theme(self):
        pool = Pool()
        Date = pool.get('ir.date')
        Member = pool.get('association.commission.member')
        Registration = pool.get('association.event.registration')
        today = Date.today()
        themes = ('child_of', [self.theme.id], 'parent')
        result = {}
        for person, authority in search_rows(Member, [
                    ('commission.theme', *themes),
                    ['OR',
                        ('start_date', '=', None),
                        ('start_date', '<=', today),
                        ],
                    ['OR',
                        ('end_date', '=', None),
                        ('end_date', '>=', today),
                        ],
                    ], ['person', 'authority'], order=['id']):
            result.setdefault(person, (authority, None))
        for person, organisation in search_rows(Registration, [
                    ['OR',
                        ('event.themes', *themes),
                        ('event.series.themes', *themes),
                        ],
                    ('state', 'in', REGISTERED),
                    ], ['person', 'organisation'], order=['id']):
            result.setdefault(person, (organisation, None))
        return result
