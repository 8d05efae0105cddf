"""Leads (线索): possible households at risk from a household's own report, a cadre or a
department's list. `intake.py`: a department's list imported (matched to the monitored and
the villages) and the feedback sheet written back; `flow.py`: `/leads` for who must check
them, opening one, recording its outcome (`reason.py`: 不纳入's reason) or starting a
proposal prefilled from it; `work.py`: the checks and changes in one transaction;
`texts.py`: how a lead reads. Who is told: `storage/leads_notices.py`."""
