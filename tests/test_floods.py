"""Floods and slow clients against a real `chinwag serve` (src/chinwag/limits.py,
docs/decisions.md #52, #53): thousands of idle connections do not stop a normal client, half-sent
request heads are closed after the header timeout, a stalled body is a 408 in Twilio's body, and a
client that hangs up mid-body is no error in the log."""

from __future__ import annotations

import base64
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from chinwag import bootstrap
from chinwag.limits import raise_open_file_limit
from tests.conftest import Account, Running, make_client, serving

IDLE = 5000
HEADER_TIMEOUT = 2.0
BODY_TIMEOUT = 1.5


@pytest.fixture(scope="module")
def slow_running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    env = {"CHINWAG_HEADER_TIMEOUT": str(HEADER_TIMEOUT), "CHINWAG_BODY_TIMEOUT": str(BODY_TIMEOUT)}
    with serving("sqlite", tmp_path_factory.mktemp("floods"), extra_env=env) as running:
        yield running


@pytest.fixture
def slow_account(slow_running: Running) -> Account:
    return Account(*bootstrap.create_account(slow_running.database_url))


def basic(account: Account) -> str:
    return "Basic " + base64.b64encode(f"{account.sid}:{account.token}".encode()).decode()


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def read_response(sock: socket.socket, timeout: float) -> bytes:
    sock.settimeout(timeout)
    data = b""
    while b"\r\n\r\n" not in data or len(data.split(b"\r\n\r\n", 1)[1]) < 2:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def test_thousands_of_idle_connections_do_not_stop_a_normal_client(
    slow_running: Running, slow_account: Account
) -> None:
    raise_open_file_limit(IDLE + 512)
    port = slow_running.server.port
    idle: list[socket.socket] = []
    try:
        for _ in range(IDLE):
            sock = socket.socket()
            sock.setblocking(False)
            sock.connect_ex(("127.0.0.1", port))  # in progress; the test never sends a byte
            idle.append(sock)
        time.sleep(0.5)  # let the server accept them
        started = time.monotonic()
        assert httpx.get(slow_running.url + "/health", timeout=10).status_code == 200
        twilio = make_client(slow_running.url, slow_account).conversations.v1
        assert twilio.users.create(identity="among-the-idle").identity == "among-the-idle"
        assert time.monotonic() - started < 5.0
    finally:
        for sock in idle:
            sock.close()


def test_a_half_sent_request_head_is_closed_after_the_header_timeout(slow_running: Running) -> None:
    with connect(slow_running.server.port) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow:")
        started = time.monotonic()
        sock.settimeout(HEADER_TIMEOUT + 10)
        answer = sock.recv(1000)  # b"" once the server closed it (or its 408 first)
        assert answer == b"" or answer.startswith(b"HTTP/1.1 408"), answer
        assert time.monotonic() - started < HEADER_TIMEOUT + 5


def test_a_stalled_body_is_a_408_and_writes_nothing(slow_running: Running, slow_account: Account) -> None:
    with connect(slow_running.server.port) as sock:
        sock.sendall(
            b"POST /v1/Users HTTP/1.1\r\nHost: x\r\nAuthorization: "
            + basic(slow_account).encode()
            + b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nIdentity=stall"
        )
        started = time.monotonic()
        response = read_response(sock, BODY_TIMEOUT + 10)
    assert time.monotonic() - started < BODY_TIMEOUT + 5
    head, _, body = response.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 408"), response
    assert b'"code":20408' in body and b'"status":408' in body, body
    users = httpx.get(slow_running.url + "/v1/Users", auth=(slow_account.sid, slow_account.token)).json()
    assert users["users"] == []


def test_a_client_that_hangs_up_mid_body_is_not_an_error(slow_running: Running, slow_account: Account) -> None:
    log_before = slow_running.server.log_path.read_text()
    for i in range(20):
        with connect(slow_running.server.port) as sock:
            sock.sendall(
                b"POST /v1/Users HTTP/1.1\r\nHost: x\r\nAuthorization: "
                + basic(slow_account).encode()
                + b"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
                + f"Identity=gone{i}".encode()
            )
            time.sleep(0.05)  # the server is waiting for the rest of the body
    time.sleep(0.5)
    log = slow_running.server.log_path.read_text()[len(log_before) :]
    assert "unhandled error" not in log and "Traceback" not in log, log[-3000:]
    http = httpx.Client(base_url=slow_running.url, auth=(slow_account.sid, slow_account.token))
    assert http.get("/v1/Users").json()["users"] == []
    assert http.post("/v1/Users", data={"Identity": "still-served"}).status_code == 201


def test_openapi_is_built_once_and_names_each_host(slow_running: Running) -> None:
    """/openapi.json needs no credentials, so any Host header must be cheap: it cost a rebuild
    of the spec (~16 ms) per new host."""

    def median_ms(path: str, hosts: list[str]) -> float:
        timings = []
        with httpx.Client(base_url=slow_running.url) as http:
            for host in hosts:
                started = time.perf_counter()
                response = http.get(path, headers={"Host": host})
                timings.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200
        return sorted(timings)[len(timings) // 2]

    hosts = [f"h{i}.example:81" for i in range(40)]
    with httpx.Client(base_url=slow_running.url) as http:
        spec = http.get("/openapi.json", headers={"Host": 'q"uote.example'}).json()
        assert spec["servers"] == [{"url": 'http://q"uote.example'}]
        assert http.get("/openapi.json", headers={"Host": hosts[0]}).json()["servers"] == [
            {"url": "http://h0.example:81"}
        ]
    same = median_ms("/openapi.json", ["same.example"] * 40)
    varied = median_ms("/openapi.json", hosts)
    assert varied < same * 1.5 + 2, (varied, same)
