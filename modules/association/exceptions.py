# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class MandateError(ValidationError):
    pass


class TurnoverError(UserError):
    pass


class OfficialDataError(UserError):
    pass


class RegisterError(UserError):
    pass
