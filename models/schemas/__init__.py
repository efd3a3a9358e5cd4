"""The domain's schemas: what services take and return, plain and frozen (pydantic), never ORM
rows. Renderers (bot/blocks), the REST API and the CLI read these.

base.py         Actor (who is asking) and View (the base of every result)
projects.py     projects, rosters, hand-offs with packet and sign-offs, audit trail, lineage
digest.py       a channel's digest and a project's status
monitoring.py   monitors, metric points, alerts, observation results
dossier.py      a project's evidence dossier
integrations.py API tokens, webhook subscriptions, MLflow model links and webhook outcomes
outbox.py       the operator's view of an outbox row
schedules.py    a channel's digest schedule
people.py       someone's absence (away until, delegate)
"""
