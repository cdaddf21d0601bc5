"""A job in a process of its own: `python -m supplies.jobs.child JOB_ID`, settings on stdin.

Started by runner._in_process when there is no queue (no REDIS_URL): the app is built from
the settings of the app that started it, the job is claimed and run exactly as a worker
would, and the process ends.
"""

import json
import sys


def main() -> int:
    """Build the app from the settings on stdin and run the one job named."""
    from supplies import create_app
    from supplies.jobs import runner

    job_id = sys.argv[1]
    app = create_app(json.loads(sys.stdin.read() or "{}"))
    with app.app_context():
        runner.execute(job_id)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
