# This file is part of Concorde.  The COPYRIGHT file at the top level of
# this repository contains the full copyright notices and license terms.
from trytond.exceptions import UserError
from trytond.model.exceptions import ValidationError


class PinError(Exception):
    """The pinned meetings cannot all be kept

    Raised by the scheduler, which knows nothing of Tryton: the module
    turns it into a translated ScheduleError.  `reason` names the broken
    rule and the other attributes carry the details (None when they do
    not apply):

    - 'maximum': `participant` has more pinned meetings (`count`, those of
      `requests`) than its maximum (`maximum`);
    - 'participant_slot': `participant` has two pinned meetings
      (`requests`) in `slot`;
    - 'table_slot': two pinned meetings (`requests`) use `table` in `slot`;
    - 'blocked': the pinned meeting `requests[0]` is in `slot`, which
      `participant` blocked;
    - 'tables': more meetings are pinned in `slot` (`count`) than there are
      tables (`maximum`);
    - 'unknown_slot', 'unknown_table': `requests[0]` is pinned to a `slot`
      or `table` which is not part of the event;
    - 'unknown_request': a pin names a request (`requests[0]`) which is not
      an accepted request;
    - 'duplicate': the request `requests[0]` is pinned twice.
    """

    def __init__(
            self, reason, participant=None, slot=None, table=None,
            requests=(), count=None, maximum=None):
        self.reason = reason
        self.participant = participant
        self.slot = slot
        self.table = table
        self.requests = tuple(requests)
        self.count = count
        self.maximum = maximum
        super().__init__(
            reason, participant, slot, table, self.requests, count, maximum)


class ScheduleError(UserError):
    pass


class MeetingError(ValidationError):
    pass


class RequestError(ValidationError):
    pass


class SlotError(ValidationError):
    pass
