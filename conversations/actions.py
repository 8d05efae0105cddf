"""Button data shared by a flow and the messages the outbox renders for it (declared once,
built and read from the same declaration)."""

from __future__ import annotations

from conversations.engine.callbacks import Action

# The check-in: choose a household (the household list, and each reminder's buttons).
START_CHECKIN = Action("ci", "hh", "household")
PICK_PAGE = Action("ci", "pg", "page")  # the household list's other page
# A red warning's buttons, on each copy of the warning in the groups.
ACKNOWLEDGE = Action("al", "ack", "alert")
RECORD_MEASURE = Action("al", "m", "alert")
# Deciding a proposal (village review, township approval, choosing the helper).
APPROVE = Action("pd", "ok", "proposal", "step")
REJECT = Action("pd", "no", "proposal", "step")
ASSIGN = Action("pd", "h", "proposal", "helper")
POST_NOTICE = Action("pd", "post", "proposal")  # the public notice is up in the village
OBJECTION = Action("pd", "obj", "proposal")  # record an objection (typed)
COUNTY = Action("pd", "cty", "proposal")  # record the county's approval (date, document)
CONSENT = Action("pd", "cs", "proposal")  # the household signed its consent (承诺授权书)
DECISIONS = {
    "ok": APPROVE,
    "no": REJECT,
    "h": ASSIGN,
    "post": POST_NOTICE,
    "obj": OBJECTION,
    "cty": COUNTY,
    "cs": CONSENT,
}
# Risk elimination: record labour capacity, confirm, refer to the county with a reason, cancel.
LABOUR = Action("el", "lab", "household", "can_work")
ELIMINATE = Action("el", "ok", "household")
REFER = Action("el", "rf", "household")  # to the county, with a reason (no override)
CANCEL_ELIMINATION = Action("el", "x", "household")
ELIMINATION = {"lab": LABOUR, "ok": ELIMINATE, "rf": REFER, "x": CANCEL_ELIMINATION}
# A help measure as a task (/tasks): move it on, or refuse it (a reason is asked for).
TASK_MOVE = Action("tk", "s", "measure", "to")  # to: in_progress, done
TASK_REFUSE = Action("tk", "x", "measure")
# A household's plan (/plan): the same plan as a spreadsheet to print.
PLAN_SHEET = Action("pl", "x", "household")
# Record a help measure for a household (its screen, the plan notice and its reminder, a
# failed elimination check): the measure conversation, without a warning.
RECORD_FOR = Action("hm", "s", "household")
# The national system's list (/national): tick a household's changes as entered (those up to
# the newest shown), turn to another household, the whole list as a spreadsheet.
NATIONAL_TICK = Action("nl", "ok", "household", "upto", "index")
NATIONAL_PAGE = Action("nl", "pg", "index")
NATIONAL_SHEET = Action("nl", "xl")
