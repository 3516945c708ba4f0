"""One worker process for the cross-process pace test: dispatches its share of the queue
through a vendor that notes the wall-clock time of every send, until all of it is sent.

python tests/pace_worker.py DATABASE_URL PACE START_AT OUT ID [ID...]
PACE is "database" or a Redis URL with a key prefix after '#'.
"""

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from fakes import FakePlugin, FakeVendor  # noqa: E402

from core.app import create_app  # noqa: E402
from core.db import db, utcnow  # noqa: E402
from core.models import Message  # noqa: E402
from core.sending import dispatch, pace  # noqa: E402


class TimedVendor(FakeVendor):
    def __init__(self):
        super().__init__()
        self.times: list[float] = []

    def send(self, text):
        self.times.append(time.time())
        return super().send(text)


def main(database_url: str, pace_url: str, start_at: float, out: str, ids: list[int]) -> None:
    vendor = TimedVendor()
    app = create_app({"TESTING": True, "DATABASE_URL": database_url, "QUEUE_URL": "memory",
                      "LOAD_ENTRYPOINTS": False, "EXTRA_PLUGINS": [FakePlugin(vendor)],
                      "INSTANCE_PATH": str(Path(out).parent / f"instance-{Path(out).stem}")})
    if pace_url != "database":
        url, prefix = pace_url.split("#")
        app.extensions["consentdesk"].pace = pace.RedisPace(url, prefix=prefix)
    time.sleep(max(0.0, start_at - time.time()))
    deadline = time.time() + 30
    with app.app_context():
        pending = ids
        while pending and time.time() < deadline:
            dispatch.dispatch(app, pending, now=utcnow())
            with db.sessionmaker() as session:
                pending = [m.id for m in session.query(Message).filter(
                    Message.id.in_(ids), Message.status != "sent")]
            time.sleep(0.02)
    Path(out).write_text(json.dumps({"times": vendor.times, "unsent": pending}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4], [int(i) for i in sys.argv[5:]])
