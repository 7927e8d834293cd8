# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from sql.conditionals import Coalesce
from sql.operators import Equal

from trytond.model import (
    DeactivableMixin, Exclude, ModelSQL, ModelView, fields, tree)


class Theme(DeactivableMixin, tree(separator=' / '), ModelSQL, ModelView):
    "Theme"
    __name__ = 'association.theme'

    name = fields.Char("Name", required=True, translate=True)
    code = fields.Char(
        "Code",
        help="A short identifier used by imports and the portal.")
    parent = fields.Many2One(
        'association.theme', "Parent", ondelete='RESTRICT')
    children = fields.One2Many('association.theme', 'parent', "Children")
    description = fields.Text("Description", translate=True)

    @classmethod
    def __setup__(cls):
        cls.code.search_unaccented = False
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ('code_unique', Exclude(t, (t.code, Equal),
                    where=t.code != ''),
                'association.msg_theme_code_unique'),
            ('name_parent_unique',
                Exclude(t, (t.name, Equal),
                    (Coalesce(t.parent, -1), Equal)),
                'association.msg_theme_name_parent_unique'),
            ]
        cls._order.insert(0, ('name', 'ASC'))
