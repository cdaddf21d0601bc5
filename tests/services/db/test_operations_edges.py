"""Idempotent operations: the same id and body again records nothing new, at every moment."""

import hashlib
from contextlib import contextmanager
from datetime import date

import pytest
from sqlalchemy.exc import IntegrityError

from supplies.extensions import db
from supplies.models import Operation
from supplies.services.common.errors import Conflict, IdempotencyConflict
from supplies.services.db import operations
from supplies.services.db.operations import OperationRequest
from tests.conftest import new_id


def _request(body=None, operation_id=None):
    return OperationRequest.new(operation_id or new_id(), body or {"note": "x"})


class _Write:
    """A write that says each time it runs, and what it returned."""

    def __init__(self, result=None):
        self.runs = 0
        self.result = result or {"done": True}

    def __call__(self):
        self.runs += 1
        return dict(self.result)


def _stored(operation_id):
    db.session.expire_all()
    return db.session.get(Operation, operation_id)


def test_a_body_is_the_same_request_whatever_the_order_of_its_fields():
    assert operations.fingerprint({"a": 1, "b": [1, 2]}) == operations.fingerprint(
        {"b": [1, 2], "a": 1}
    )
    assert operations.fingerprint({"a": 1}) != operations.fingerprint({"a": 2})


def test_a_fingerprint_stored_by_an_earlier_release_still_matches_the_same_body():
    # Stored with each operation: a queued retry sent after an upgrade must still match.
    body = {"on": date(2026, 1, 2), "a": 1}
    canonical = b'{"a":1,"on":"2026-01-02"}'
    assert operations.fingerprint(body) == hashlib.sha256(canonical).hexdigest()


def test_the_same_id_and_body_again_records_nothing_new(ctx, make):
    user = make.admin
    request = _request()
    write = _Write({"n": 1})
    first = operations.run_once(request, "test", user.id, write)
    again = operations.run_once(request, "test", user.id, write)
    assert (first.created, again.created) == (True, False)
    assert first.result == again.result == {"n": 1}
    assert write.runs == 1
    stored = _stored(request.id)
    assert (stored.kind, stored.fingerprint, stored.user_id) == (
        "test",
        request.fingerprint,
        user.id,
    )
    assert stored.result == {"n": 1}
    assert stored.created_at is not None


def test_a_replay_is_answered_without_taking_the_write_lock(ctx, make, monkeypatch):
    request = _request()
    operations.run_once(request, "test", make.admin.id, _Write())
    entered = []
    real = operations.transaction

    @contextmanager
    def counted():
        entered.append(1)
        with real():
            yield

    monkeypatch.setattr(operations, "transaction", counted)
    assert operations.run_once(request, "test", make.admin.id, _Write()).created is False
    assert entered == []


def test_the_same_id_with_another_body_or_kind_is_refused_in_words(ctx, make):
    request = _request({"note": "x"})
    operations.run_once(request, "test", make.admin.id, _Write())
    other_body = OperationRequest.new(request.id, {"note": "y"})
    for other, kind in ((other_body, "test"), (request, "other")):
        with pytest.raises(IdempotencyConflict) as refusal:
            operations.run_once(other, kind, make.admin.id, _Write())
        assert str(refusal.value) == "This id was already used for a different request."
        assert refusal.value.fields == {"id": "already used for a different request"}


def _twin_commits(request, kind, result, user_id, *, during_write=False):
    """A twin request with the same id commits just before this one takes the write lock,
    or (PostgreSQL) while this one writes."""
    real = operations.transaction

    def commit_twin():
        with real():
            operations.record(request, kind, user_id, result)

    @contextmanager
    def racing():
        if not during_write:
            commit_twin()
        try:
            with real():
                yield
        except Exception:
            if during_write:
                commit_twin()
            raise

    return racing


def test_a_twin_that_commits_first_is_answered_and_this_write_is_not_run(ctx, make, monkeypatch):
    request = _request()
    twin = {"by": "twin"}
    monkeypatch.setattr(
        operations, "transaction", _twin_commits(request, "test", twin, make.admin.id)
    )

    def already_done():
        raise Conflict("This distribution was already voided.")

    outcome = operations.run_once(request, "test", make.admin.id, already_done)
    assert (outcome.result, outcome.created) == (twin, False)


@pytest.mark.parametrize("run", ["run_once", "run_once_unchecked"])
def test_a_write_refused_because_its_twin_committed_meanwhile_answers_the_twin(
    ctx, make, monkeypatch, run
):
    request = _request()
    twin = {"by": "twin"}
    racing = _twin_commits(request, "test", twin, make.admin.id, during_write=True)
    monkeypatch.setattr(operations, "transaction", racing)

    def refused_at_insert():
        raise IntegrityError("INSERT", {}, Exception("unique"))

    outcome = getattr(operations, run)(request, "test", make.admin.id, refused_at_insert)
    assert (outcome.result, outcome.created) == (twin, False)


@pytest.mark.parametrize("run", ["run_once", "run_once_unchecked"])
def test_a_refusal_that_is_no_replay_stands(ctx, make, run):
    request = _request()
    refusal = IntegrityError("INSERT", {}, Exception("unique"))

    def refused():
        raise refusal

    with pytest.raises(IntegrityError) as raised:
        getattr(operations, run)(request, "test", make.admin.id, refused)
    assert raised.value is refusal
    assert _stored(request.id) is None


def test_an_unchecked_write_records_its_rows_and_who_asked(ctx, make):
    user = make.admin
    request = _request()
    outcome = operations.run_once_unchecked(request, "test", user.id, lambda: ({"n": 2}, []))
    assert (outcome.result, outcome.created) == ({"n": 2}, True)
    stored = _stored(request.id)
    assert (stored.kind, stored.fingerprint, stored.user_id, stored.result) == (
        "test",
        request.fingerprint,
        user.id,
        {"n": 2},
    )
    again = operations.run_once_unchecked(request, "test", user.id, lambda: ({"n": 3}, []))
    assert (again.result, again.created) == ({"n": 2}, False)


def test_a_request_without_an_id_gets_a_fresh_one():
    first, second = OperationRequest.new(None, {}), OperationRequest.new(None, {})
    assert first.id != second.id and len(first.id) == 36
    assert OperationRequest.new("given", {}).id == "given"
