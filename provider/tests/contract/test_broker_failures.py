"""The harness against a broker that fails: retries with backoff, every result published.

The broker here is a fake on a loopback port that serves a few pacts for verification and
answers any call the way a test scripts it.
"""

from __future__ import annotations

import base64
import json
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from contract_terms import USER_DOES_NOT_EXIST, USER_SERVICE
from user_service_contract import verify_provider
from user_service_contract.__main__ import main
from user_service_contract.broker import IMPLEMENTATION, BrokerClient, BrokerError
from user_service_contract.publishing import PublishOptions
from user_service_contract.reuse import ResultCache
from user_service_contract.sources import BrokerSource, PactUrl

Answer = tuple[int, dict[str, Any]]


@dataclass
class FakeBroker:
    """``consumers``' pacts (one passing interaction each, none for ``empty...``); ``script``
    may answer any call."""

    consumers: tuple[str, ...]
    script: Callable[[str, str], Answer | None] = lambda method, path: None
    calls: list[tuple[str, str]] = field(default_factory=list)
    published: dict[str, dict[str, Any]] = field(default_factory=dict)
    authorizations: list[str | None] = field(default_factory=list)
    url: str = ""

    def answer(self, method: str, path: str, body: dict[str, Any]) -> Answer:
        self.calls.append((method, path))
        scripted = self.script(method, path)
        if scripted is not None:
            return scripted
        base = self.url
        if path == "/":
            href = f"{base}/pacts/provider/{{provider}}/for-verification"
            return 200, {"_links": {"pb:provider-pacts-for-verification": {"href": href}}}
        if path.endswith("/for-verification") and method == "GET":
            return 200, {"_links": {"self": {"href": base + path}}}
        if path.endswith("/for-verification"):
            pacts = [
                {"_links": {"self": {"href": f"{base}{self._pact_path(c)}"}}}
                for c in self.consumers
            ]
            return 200, {"_embedded": {"pacts": pacts}}
        for consumer in self.consumers:
            if path == self._pact_path(consumer):
                return 200, self._pact(consumer)
            if path == self._pact_path(consumer) + "/verification-results" and method == "POST":
                self.published[consumer] = body
                return 201, {}
        return 404, {"error": f"no {method} {path}"}

    @staticmethod
    def _pact_path(consumer: str) -> str:
        sha = consumer.encode().hex().ljust(40, "0")[:40]
        return f"/pacts/provider/{USER_SERVICE}/consumer/{consumer}/pact-version/{sha}"

    def _pact(self, consumer: str) -> dict[str, Any]:
        href = self.url + self._pact_path(consumer) + "/verification-results"
        return {
            "consumer": {"name": consumer},
            "provider": {"name": USER_SERVICE},
            "interactions": [
                {
                    "description": f"{consumer} asks for user 9",
                    "providerStates": [{"name": USER_DOES_NOT_EXIST, "params": {"id": 9}}],
                    "request": {"method": "GET", "path": "/users/9"},
                    "response": {"status": 404},
                }
            ]
            if not consumer.startswith("empty")
            else [],
            "metadata": {"pactSpecification": {"version": "3.0.0"}},
            "_links": {"pb:publish-verification-results": {"href": href}},
        }


@contextmanager
def serving(broker: FakeBroker) -> Iterator[FakeBroker]:
    """``broker`` on a free loopback port (``broker.url``) for the block."""

    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            broker.authorizations.append(self.headers.get("Authorization"))
            status, answer = broker.answer(self.command, self.path, body)
            raw = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        def do_GET(self) -> None:
            self._serve()

        def do_POST(self) -> None:
            self._serve()

        def do_PUT(self) -> None:
            self._serve()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    broker.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield broker
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_a_call_is_tried_again_after_503_408_and_429_with_growing_waits() -> None:
    answers = iter([(503, {}), (408, {}), (429, {}), (200, {"ok": True})])
    waits: list[float] = []
    broker = FakeBroker((), script=lambda m, p: next(answers))
    with serving(broker):
        client = BrokerClient(broker.url, retries=3, sleep=waits.append)
        assert client.get(broker.url + "/x") == {"ok": True}

    assert broker.calls == [("GET", "/x")] * 4
    assert waits == [0.25, 0.5, 1.0]


def test_a_call_gives_up_after_the_retries_saying_how_often_it_tried() -> None:
    waits: list[float] = []
    broker = FakeBroker((), script=lambda m, p: (502, {"error": "bad gateway"}))
    with serving(broker):
        client = BrokerClient(broker.url, retries=2, sleep=waits.append)
        with pytest.raises(BrokerError, match=r"answered 502: .*bad gateway.*\(after 3 tries\)"):
            client.get(broker.url + "/")

    assert len(broker.calls) == 3
    assert waits == [0.25, 0.5]


def test_a_client_error_is_not_tried_again() -> None:
    broker = FakeBroker((), script=lambda m, p: (400, {"error": "no"}))
    with serving(broker):
        client = BrokerClient(broker.url, retries=5, sleep=lambda _: None)
        with pytest.raises(BrokerError, match="answered 400"):
            client.send("POST", broker.url + "/", {})

    assert len(broker.calls) == 1


def test_retries_come_from_pact_broker_http_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PACT_BROKER_HTTP_RETRIES", "1")
    assert BrokerClient("http://broker.example").retries == 1
    monkeypatch.setenv("PACT_BROKER_HTTP_RETRIES", "lots")
    with pytest.raises(BrokerError, match="PACT_BROKER_HTTP_RETRIES must be a whole number"):
        BrokerClient("http://broker.example")
    monkeypatch.delenv("PACT_BROKER_HTTP_RETRIES")
    assert BrokerClient("http://broker.example").retries == 8


def test_one_failed_publish_stops_no_other_and_names_the_pact() -> None:
    failing = FakeBroker._pact_path("b-second") + "/verification-results"

    def script(method: str, path: str) -> Answer | None:
        return (422, {"errors": "refused"}) if (method, path) == ("POST", failing) else None

    said: list[str] = []
    broker = FakeBroker(("a-first", "b-second", "c-third"), script=script)
    with serving(broker):
        report = verify_provider(
            BrokerSource(broker.url),
            publish=PublishOptions("1.2.3"),
            workers=1,
            retries=0,
            echo=said.append,
        )

    assert sorted(broker.published) == ["a-first", "c-third"]
    assert all(body["success"] is True for body in broker.published.values())
    assert report.success
    assert len(report.unpublished) == 1
    assert report.unpublished[0].startswith("b-second (pact ")
    assert "answered 422" in report.unpublished[0]
    assert "✗ result not published: b-second (pact " in report.summary()
    assert "Verification PASSED: 3 interaction(s) verified" in report.summary()


def test_the_harness_exits_3_naming_the_unpublished_pact_after_the_summary(
    capsys: pytest.CaptureFixture[str],
) -> None:
    failing = FakeBroker._pact_path("a-first") + "/verification-results"
    broker = FakeBroker(
        ("a-first", "b-second"),
        script=lambda m, p: (503, {}) if (m, p) == ("POST", failing) else None,
    )
    with serving(broker):
        argv = ["--broker-url", broker.url, "--publish", "--provider-version", "1.2.3"]
        status = main([*argv, "--workers", "1", "--retries", "1"])

    out, err = capsys.readouterr()
    assert status == 3
    assert "Verification PASSED: 2 interaction(s) verified" in out
    assert "error: the result of 1 pact(s) could not be published (the others were): a-first" in err
    assert "answered 503" in err
    assert "(after 2 tries)" in err
    assert list(broker.published) == ["b-second"]


def test_a_broker_that_cannot_list_the_pacts_exits_4(capsys: pytest.CaptureFixture[str]) -> None:
    broker = FakeBroker(("a-first",), script=lambda m, p: (500, {}) if p == "/" else None)
    with serving(broker):
        status = main(["--broker-url", broker.url, "--retries", "0", "--workers", "1"])

    assert status == 4
    assert "the broker answered 500" in capsys.readouterr().err


def test_a_pact_url_with_user_and_password_sends_them_as_basic_auth_and_never_prints_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PACT_BROKER_TOKEN", "not-this-one")
    failing = FakeBroker._pact_path("a-first") + "/verification-results"
    broker = FakeBroker(
        ("a-first",), script=lambda m, p: (500, {}) if (m, p) == ("POST", failing) else None
    )
    said: list[str] = []
    with serving(broker):
        userinfo = broker.url.replace("http://", "http://ci%40example:s3cr%3At@")
        url = userinfo + FakeBroker._pact_path("a-first")
        report = verify_provider(
            PactUrl(url),
            publish=PublishOptions("1.2.3"),
            workers=1,
            retries=0,
            echo=said.append,
        )

    basic = "Basic " + base64.b64encode(b"ci@example:s3cr:t").decode()
    assert set(broker.authorizations) == {basic}
    assert len(report.unpublished) == 1
    shown = report.summary() + "\n".join(said)
    assert "answered 500" in shown
    for secret in ("s3cr", "ci%40example", "ci@example"):
        assert secret not in shown


def test_a_bad_broker_url_is_named_without_its_password() -> None:
    with pytest.raises(BrokerError) as raised:
        BrokerClient("ftp://ci:s3cret@broker.example/")

    assert "s3cret" not in str(raised.value)
    assert "ftp://broker.example/" in str(raised.value)
    assert "s3cret" not in repr(BrokerClient("http://ci:s3cret@broker.example"))


def test_a_pact_without_interactions_is_published_as_the_success_the_build_says() -> None:
    said: list[str] = []
    broker = FakeBroker(("a-first", "empty-pact"))
    with serving(broker):
        report = verify_provider(
            BrokerSource(broker.url),
            publish=PublishOptions("1.2.3"),
            workers=1,
            retries=0,
            echo=said.append,
        )

    assert report.success
    assert broker.published["empty-pact"]["success"] is True
    assert broker.published["empty-pact"]["testResults"] == []
    assert broker.published["a-first"]["success"] is True
    assert "empty-pact (pact " in report.summary()
    assert "has no interactions: nothing to verify in it" in report.summary()


DIGEST = "d" * 64
"""The provider input digest the reuse tests' records are filed under."""


def record_success(folder: Path, consumer: str) -> None:
    """A recorded success of ``consumer``'s pact (as FakeBroker serves it) under ``DIGEST``, as
    the tasks hand records to the harness (``<pact sha>.json`` in its ``--reuse-dir``)."""
    sha = FakeBroker._pact_path(consumer).rsplit("/", 1)[1]
    passed = {"description": f"{consumer} asks for user 9", "consumer": consumer, "result": "OK"}
    record = {"pact": sha, "inputDigest": DIGEST, "results": {"interactionResults": [passed]}}
    (folder / f"{sha}.json").write_text(json.dumps(record), encoding="utf-8")


def test_a_run_that_reuses_every_result_loads_neither_the_verifier_nor_the_app(
    tmp_path: Path,
) -> None:
    # In its own interpreter: what a reused run imported is the point.
    broker = FakeBroker(("a-first",))
    reuse, counts = tmp_path / "reuse", tmp_path / "counts.json"
    reuse.mkdir()
    record_success(reuse, "a-first")
    code = (
        "import json, sys\n"
        "from user_service_contract.__main__ import main\n"
        "status = main(sys.argv[1:])\n"
        "heavy = ('pact', 'fastapi', 'uvicorn', 'user_service')\n"
        "print(json.dumps([status, sorted(m for m in heavy if m in sys.modules)]))\n"
    )
    with serving(broker):
        argv = ["--broker-url", broker.url, "--publish", "--provider-version", "1.2.3"]
        argv += ["--input-digest", DIGEST, "--reuse-dir", str(reuse), "--counts-out", str(counts)]
        done = subprocess.run(
            [sys.executable, "-c", code, *argv],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    assert json.loads(done.stdout.splitlines()[-1]) == [0, []], done.stdout + done.stderr
    assert json.loads(counts.read_text())["pacts"] == json.loads(counts.read_text())["reused"] == 1
    assert broker.published["a-first"]["verifiedBy"]["reusedResultOfInputDigest"] == DIGEST


@dataclass
class VerifiedBroker(FakeBroker):
    """A broker whose pacts' latest result is already a successful replay by ``verified``."""

    verified: str = ""

    def answer(self, method: str, path: str, body: dict[str, Any]) -> Answer:
        if path.endswith("/verification-results/latest"):
            self.calls.append((method, path))
            replay = {"implementation": IMPLEMENTATION}
            return 200, {"providerApplicationVersion": self.verified, "success": True,
                         "verifiedBy": replay}  # fmt: skip
        if path == f"/pacticipants/{USER_SERVICE}":
            self.calls.append((method, path))
            href = (
                self.url + f"/pacticipants/{USER_SERVICE}/branches/{{branch}}/versions/{{version}}"
            )
            return 200, {"_links": {"pb:branch-version": {"href": href, "templated": True}}}
        if "/branches/" in path and method == "PUT":
            self.calls.append((method, path))
            return 201, {}
        return super().answer(method, path, body)

    def _pact(self, consumer: str) -> dict[str, Any]:
        pact = super()._pact(consumer)
        latest = self.url + self._pact_path(consumer) + "/verification-results/latest"
        pact["_links"]["pb:latest-verification-results"] = {"href": latest}
        pact["_links"]["pb:provider"] = {"href": self.url + f"/pacticipants/{USER_SERVICE}"}
        return pact


def test_a_result_the_broker_holds_is_not_published_again_but_the_branch_is_recorded(
    tmp_path: Path,
) -> None:
    # The same commit built again on another branch (a fast-forward merge): the result stands,
    # and the version is recorded on that branch too.
    broker = VerifiedBroker(("a-first",), verified="1.2.3")
    record_success(tmp_path, "a-first")
    with serving(broker):
        report = verify_provider(
            BrokerSource(broker_url=broker.url, provider_branch="release"),
            publish=PublishOptions("1.2.3", "release"),
            cache=ResultCache(DIGEST, reuse_dir=tmp_path),
            workers=1,
            retries=0,
        )

    assert report.success, report.summary()
    assert report.reused == 1
    assert broker.published == {}
    branch = f"/pacticipants/{USER_SERVICE}/branches/release/versions/1.2.3"
    assert ("PUT", branch) in broker.calls
