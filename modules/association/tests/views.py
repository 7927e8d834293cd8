# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
"A test of the views shared by the modules' ModuleTestCase"
from lxml import etree

from trytond.pool import Pool
from trytond.tests.test_tryton import with_transaction

# The widgets that the clients of the 8.0 series (sao and the desktop
# client) can draw in a list and in a form: a field shown without a widget
# uses the one of its type.  A date-time has no list widget: a list shows it
# in two columns, with the "date" and "time" widgets.
LIST_WIDGETS = {
    'binary', 'boolean', 'callto', 'char', 'date', 'dict', 'email', 'float',
    'image', 'integer', 'many2many', 'many2one', 'multiselection', 'numeric',
    'one2many', 'one2one', 'progressbar', 'reference', 'selection', 'sip',
    'text', 'time', 'timedelta', 'url',
    }
FORM_WIDGETS = LIST_WIDGETS | {
    'color', 'datetime', 'document', 'html', 'password', 'pyson', 'richtext',
    'timestamp',
    }
VIEW_WIDGETS = {
    'tree': LIST_WIDGETS,
    'form': FORM_WIDGETS,
    }


def is_year(name, field):
    "Whether the field holds a year (or a year and month as YYYYMM)"
    return field['type'] == 'integer' and (
        name in {'year', 'month'} or name.endswith('_year'))


class ViewWidgetTestMixin:
    """Test that the clients can draw every field of the module's views,
    and show the years without a thousands separator"""

    @with_transaction()
    def test_view_widgets(self):
        "Test that every field of the views has a widget of the clients"
        pool = Pool()
        View = pool.get('ir.ui.view')
        for view in View.search([('module', '=', self.module)]):
            base = view
            while base.inherit and base.inherit.model == base.model:
                base = base.inherit
            if not base.model or base.type not in VIEW_WIDGETS:
                continue
            Model = pool.get(base.model)
            fields_view = Model.fields_view_get(base.id)
            arch = etree.fromstring(fields_view['arch'])
            for node in arch.iter('field'):
                name = node.get('name')
                if name not in fields_view['fields']:
                    continue
                widget = (node.get('widget')
                    or fields_view['fields'][name]['type'])
                with self.subTest(view=view.name, field=name):
                    self.assertIn(widget, VIEW_WIDGETS[base.type],
                        msg=f"{base.model} {base.type} view {base.name}: "
                        f"the clients have no {widget!r} widget for "
                        f"{name!r}")
                    if is_year(name, fields_view['fields'][name]):
                        # Not "2 026"
                        self.assertEqual(node.get('grouping'), '0',
                            msg=f"{base.model} {base.type} view "
                            f"{base.name}: the year {name!r} is shown "
                            "with a thousands separator")
