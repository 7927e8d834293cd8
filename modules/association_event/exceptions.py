# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError, UserWarning
from trytond.model.exceptions import ValidationError


class EventDateError(ValidationError):
    pass


class RegistrationError(ValidationError):
    pass


class CheckInError(UserError):
    pass


class AttendanceImportError(UserError):
    pass


class CommissionError(ValidationError):
    pass


class OnboardingError(UserError):
    pass


class ParticipationMapError(UserError):
    pass


class EventSessionWarning(UserWarning):
    pass


class InvitationError(UserError):
    pass
