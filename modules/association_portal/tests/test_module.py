# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.modules.association.tests.database import (
    LayeredDatabaseMixin)
from trytond.modules.association.tests.views import ViewWidgetTestMixin
from trytond.tests.test_tryton import ModuleTestCase

from .tools import EXTRAS


class AssociationPortalTestCase(
        ViewWidgetTestMixin, LayeredDatabaseMixin, ModuleTestCase):
    "Test Association Portal module"
    module = 'association_portal'
    extras = EXTRAS


del ModuleTestCase
