# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import AccessError, ValidationError


class ConventionValidationError(ValidationError):
    pass


class ConventionError(UserError):
    pass


class ConventionDeleteError(AccessError):
    pass


class SignatoryValidationError(ValidationError):
    pass


class InstalmentValidationError(ValidationError):
    pass


class InvoiceError(UserError):
    pass
