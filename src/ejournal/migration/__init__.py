"""Moving an event log of the first event schema (v1) to today's: the transformation of each
event (``transform``) and the ``ejournal migrate`` copy into a new database (``copy``). The
application refuses such a log at start (``ejournal.application.schema``)."""
