"""The one background-job runner: the event-level export and the spreadsheet import.

- store.py        a job's row in the database: state, progress, heartbeat, outcome
- runner.py       where jobs run: a thread of the app process (no REDIS_URL, the default), or
                  an RQ queue in Redis that `flask --app wsgi worker` works off (REDIS_URL set);
                  the one way a job is started, claimed, run and finished
- tasks.py        what each kind of job does, through the services
- maintenance.py  purges old files and jobs and recovers jobs whose process died
- worker.py       the RQ worker the `worker` command runs

State and files live in the database (models/job.py, services/db/files.py), so any app
server can show a job started on another, follow its progress and serve what it made.
Imports the services and models; the blueprints, the API and the commands import it.
"""
