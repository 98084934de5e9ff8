"""Secrets never leave for a model: a corpus of secret shapes, each sent through the real
``anthropic`` SDK to the Messages stand-in, and every recorded request searched for the values.

The values are synthetic but shaped as the real ones are (lengths, prefixes, alphabets)."""

from __future__ import annotations

import json
import random
import string
import time
from collections.abc import Iterator
from typing import Any

import pytest

from incident.config import AgentConfig
from incident.llm import UsageTotals, ask, build_client
from incident.redact import MASK, redact
from incident.sandbox.anthropic import MessagesStandIn, text

PEM_BODY = [
    "MIIEowIBAAKCAQEAvRk3mZq9yT2hQ8s7Lx0pWmN4cD1eF6gH9iJ2kL5mN8oP1qR4",
    "sT7uV0wX3yZ6aB9cD2eF5gH8iJ1kL4mN7oP0qR3sT6uV9wX2yZ5aB8cD1eF4gH7",
    "iJ0kL3mN6oP9qR2sT5uV8wX1yZ4aB7cD0eF3gH6iJ9kL2mN5oP8qR1sT4uV7wX0",
]
AWS_SECRET = "wJalrXUtnFI/K7MDENGbPxRfiCY9EXAMPLEKEY+z"
AZURE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

# (name, text as it would appear in a log, an annotation, a tool result..., the value that must not leave)
CORPUS: list[tuple[str, str, str]] = [
    ("aws access key id", "using key AKIA2E0A8F3B244C9986 for s3", "AKIA2E0A8F3B244C9986"),
    ("aws temporary key id", "sts returned ASIAY34FZKBOKMUTVV7A", "ASIAY34FZKBOKMUTVV7A"),
    ("aws secret key, bare", f"creds {AWS_SECRET} loaded", AWS_SECRET),
    ("aws secret key, keyword", f"aws_secret_access_key = {AWS_SECRET[::-1]}", AWS_SECRET[::-1]),
    (
        "pem rsa block",
        "\n".join(["-----BEGIN RSA PRIVATE KEY-----", *PEM_BODY, "-----END RSA PRIVATE KEY-----"]),
        PEM_BODY[1],
    ),
    (
        "pem pkcs8 block",
        "key:\n-----BEGIN PRIVATE KEY-----\n" + "\n".join(PEM_BODY[::-1]) + "\n-----END PRIVATE KEY-----",
        PEM_BODY[2],
    ),
    (
        "pem openssh block",
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB\n"
        "-----END OPENSSH PRIVATE KEY-----",
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAAB",
    ),
    (
        "pem block cut off",
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIBkWq3x9T0aVn2pZk8LmQ4rS7uW1yE5hJ6gF3dC2bA0oAoGCCqGSM49\n",
        "MHcCAQEEIBkWq3x9T0aVn2pZk8LmQ4rS7uW1yE5hJ6gF3dC2bA0oAoGCCqGSM49",
    ),
    (
        "pem encrypted block",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI3n8Vq\n"
        "-----END ENCRYPTED PRIVATE KEY-----",
        "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQI3n8Vq",
    ),
    ("postgres url", "dsn postgresql://app:pg-Pa55word@db.internal:5432/shop", "pg-Pa55word"),
    ("mysql url with symbols", "DATABASE_URL=mysql+pymysql://root:r00t!Pass/word@mysql:3306/app", "r00t!Pass/word"),
    ("mongodb srv url", "mongodb+srv://svc:M0ngoSecretXy@cluster0.ab1cd.mongodb.net/orders", "M0ngoSecretXy"),
    ("redis url without user", "cache at redis://:R3disPw9@redis-master:6379/0", "R3disPw9"),
    ("amqp url", "broker amqp://guest:Rabb1tPw@rabbitmq/", "Rabb1tPw"),
    ("jdbc query password", "jdbc:postgresql://db/shop?user=app&password=JdbcPw_77", "JdbcPw_77"),
    ("ado connection string", "Server=sql1;Database=shop;User Id=sa;Password=AdoP4ss!;", "AdoP4ss!"),
    ("password= in a log", "2025-12-02 19:16:31 DEBUG db password=hunter2-very-secret", "hunter2-very-secret"),
    ("yaml env password", "DB_PASSWORD: yamlSecretVal", "yamlSecretVal"),
    ("json password", '{"user": "app", "password": "jsonPw12345"}', "jsonPw12345"),
    ("--password X", "exec: pg_dump --host db --password CliPw2024 shop", "CliPw2024"),
    ("--password=X", "args: [--password=EqPw2024x]", "EqPw2024x"),
    ("--api-key X", "cli --api-key 'flagKey123abc' run", "flagKey123abc"),
    ("password is X", "note: the password is Tr0ub4dor&3", "Tr0ub4dor&3"),
    ("password for X was Y", "the password for admin was letmein42", "letmein42"),
    ("short bearer token", "Authorization: Bearer q1w2e3", "q1w2e3"),
    ("bearer token in prose", "retrying with bearer zZ9yY8xX7", "zZ9yY8xX7"),
    ("basic auth header", "Authorization: Basic dXNlcjpwYXNzd29yZA==", "dXNlcjpwYXNzd29yZA=="),
    ("x-api-key header", "X-Api-Key: hdrKey0987654", "hdrKey0987654"),
    ("cookie", "Cookie: sessionid=ck9f8e7d6c5b4a", "ck9f8e7d6c5b4a"),
    ("client_secret json", '{"client_id": "web", "client_secret": "csec_5f4e3d2c1b"}', "csec_5f4e3d2c1b"),
    (
        "github classic token",
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "ghp_abcdefghijklmnopqrstuvwxyz0123456789",
    ),
    (
        "github fine-grained token",
        "GH github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
    ),
    ("gitlab token", "GITLAB glpat-xY3zA9bC7dE5fG1hJ2kL", "glpat-xY3zA9bC7dE5fG1hJ2kL"),
    (
        "slack bot token",
        "slack xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
        "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx",
    ),
    (
        "slack webhook",
        "notify https://hooks.slack.com/services/T0ABCDEFG/B0HIJKLMN/abcdefGHIJKLmnopqrSTUVwx",
        "abcdefGHIJKLmnopqrSTUVwx",
    ),
    ("stripe secret key", "stripe sk_live_51HqLyjWDarjtT1zdp7dcXYZ", "sk_live_51HqLyjWDarjtT1zdp7dcXYZ"),
    ("stripe restricted key", "rk_live_0123456789abcdefABCDEFgh", "rk_live_0123456789abcdefABCDEFgh"),
    ("google api key", "maps AIzaSyD-1a2b3c4d5e6f7g8h9i0jKLMNOPQRSTU", "AIzaSyD-1a2b3c4d5e6f7g8h9i0jKLMNOPQRSTU"),
    (
        "jwt",
        "session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
    ),
    (
        "anthropic key",
        "ANTHROPIC sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
        "sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz012345",
    ),
    ("openai project key", "openai sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1", "sk-proj-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1"),
    (
        "sendgrid key",
        "mail 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",
        "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr",
    ),
    ("twilio api key", "twilio SK2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d", "SK2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d"),
    (
        "npm token",
        "//registry.npmjs.org/:_authToken=npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
        "npm_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789",
    ),
    (
        "pypi token",
        "pypi-AgEIcHlwaS5vcmcCJGE4ZjJkNzE2LTk3YWQtNGI0YS05NjM2LWM3NzM5ZTE5ZDQ3MAACKlszLCJlYjU3OTk2Zi1iZjE1LTQ5",
        "AgEIcHlwaS5vcmcCJGE4ZjJkNzE2LTk3YWQtNGI0YS05NjM2LWM3NzM5ZTE5ZDQ3MAACKlszLCJlYjU3OTk2Zi1iZjE1LTQ5",
    ),
    ("azure storage key", f"DefaultEndpointsProtocol=https;AccountName=st1;AccountKey={AZURE_KEY};", AZURE_KEY),
    (
        "telegram bot token",
        "bot 123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ up",
        "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ",
    ),
    ("mailchimp key", "mc 0123456789abcdef0123456789abcdef-us12", "0123456789abcdef0123456789abcdef-us12"),
    (
        "square oauth secret",
        "sq0csp-ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123456",
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij0123456",
    ),
    ("kubernetes env entry", '{"name": "STRIPE_API_KEY", "value": "envValue_9x8y7z"}', "envValue_9x8y7z"),
    ("deployment env value", '"env": {"PAYMENT_GATEWAY_KEY": "pgwKeyValue42", "LOG_LEVEL": "info"}', "pgwKeyValue42"),
    ("sentry dsn", "SENTRY_DSN=https://5f4e3d2c1b0a@o12345.ingest.sentry.io/678", "5f4e3d2c1b0a"),
    ("credential list", '{"credentials": ["CredA-77x", "CredB-88y"], "user": "svc"}', "CredB-88y"),
    ("alert label value", "labels: {team: pay, db_password: LblPw_31337}", "LblPw_31337"),
    ("e-mail address", "paged on-call alice.smith@example.com about it", "alice.smith@example.com"),
]
PLAIN = (
    "2025-12-02 19:16:33 ERROR payments-9ffn7xgtvh-mjdlb exit 1; commit 3f786850e387550fdab836ed7e6dc881de23001b "
    "on 10.0.3.17 and 34.120.8.9; tests passed: 12; max_tokens: 4096; secretName: payments-db; "
    "image shop/payments:v5.0.7; GET /api/v1/orders 503"
)


def test_the_corpus_is_large_and_its_values_are_real_shapes() -> None:
    assert len(CORPUS) >= 40
    assert len({name for name, _, _ in CORPUS}) == len(CORPUS)
    assert len(AWS_SECRET) == 40 and len(AZURE_KEY) == 88
    for name, line, secret in CORPUS:
        assert secret in line, name


@pytest.fixture(scope="module")
def llm() -> Iterator[MessagesStandIn]:
    server = MessagesStandIn().start()
    yield server
    server.stop()


def strings(value: Any) -> Iterator[str]:
    """Every string in a parsed request body, keys included."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def leaked(server: MessagesStandIn, secret: str) -> bool:
    in_raw = any(secret in raw or json.dumps(secret)[1:-1] in raw for raw in server.raw_bodies)
    return in_raw or any(secret in s for body in server.bodies for s in strings(body))


def send(server: MessagesStandIn, system: str, prompt: str, **agent: Any) -> str:
    section = {"api_key": "k", "base_url": server.url, "max_retries": 0, "timeout": "10s", **agent}
    cfg = AgentConfig.model_validate(section)
    return ask(build_client(cfg), cfg, UsageTotals(), model=cfg.model, system=system, prompt=prompt)


@pytest.mark.parametrize(("name", "line", "secret"), CORPUS, ids=[c[0] for c in CORPUS])
def test_no_secret_shape_leaves_for_the_model(llm: MessagesStandIn, name: str, line: str, secret: str) -> None:
    llm.reset([text("ok")])
    assert send(llm, f"You review incidents.\n{line}", f"Evidence:\n{PLAIN}\n{line}\nend") == "ok"
    assert len(llm.raw_bodies) == 1
    assert not leaked(llm, secret), f"{name}: {secret!r} was sent"
    assert MASK in llm.raw_bodies[0]


def test_the_whole_corpus_in_one_request_and_plain_facts_survive(llm: MessagesStandIn) -> None:
    llm.reset([text("ok")])
    filler = [PLAIN] * 60  # long enough to be scanned in pieces
    send(llm, "system", "\n".join([*filler, *(line for _, line, _ in CORPUS), *filler]))
    assert [secret for _, _, secret in CORPUS if leaked(llm, secret)] == []
    sent = llm.bodies[0]["messages"][0]["content"]
    for fact in (
        "3f786850e387550fdab836ed7e6dc881de23001b",
        "34.120.8.9",
        "tests passed: 12",
        "max_tokens: 4096",
        "secretName: payments-db",
        "payments-9ffn7xgtvh-mjdlb",
        "shop/payments:v5.0.7",
        "db.internal:5432/shop",
        "STRIPE_API_KEY",
    ):
        assert fact in sent


def test_emails_are_sent_when_configured_so(llm: MessagesStandIn) -> None:
    llm.reset([text("ok"), text("ok")])
    line = "paged on-call alice.smith@example.com, db password=hunter2-very-secret"
    send(llm, "s", line, redact_emails=False)
    send(llm, "s", line)
    first, second = llm.raw_bodies
    assert "alice.smith@example.com" in first and "hunter2-very-secret" not in first
    assert "alice.smith@example.com" not in second


def test_a_value_masked_in_one_place_is_masked_where_it_appears_bare(llm: MessagesStandIn) -> None:
    llm.reset([text("ok")])
    send(llm, "s", "login failed for svc with Xq7-wrong-Pw\nenv: DB_PASSWORD=Xq7-wrong-Pw\nretry")
    assert not leaked(llm, "Xq7-wrong-Pw")
    assert "login failed for svc with [REDACTED]" in llm.raw_bodies[0]


def test_redaction_of_a_200_kb_prompt_is_fast() -> None:
    rng = random.Random(7)
    lines: list[str] = []
    while sum(len(line) for line in lines) < 200_000:
        trace = "".join(rng.choices(string.hexdigits.lower(), k=32))
        extra = rng.choice(["", "", "", " token refresh ok", " db password=hunter2", " Authorization: Bearer abc"])
        lines.append(
            f"2025-12-02 19:16:{rng.randint(10, 59)} INFO GET /api/v1/orders/{rng.randint(1, 99999)} "
            f"status=200 trace={trace} user=alice@example.com API cloud Key{extra}"
        )
    prompt = "\n".join(lines)
    redact(prompt, emails=True)  # compile and load the detectors once
    best = min(_cpu_seconds(lambda: redact(prompt, emails=True)) for _ in range(3))
    assert best < 0.1, f"{best * 1000:.0f} ms of CPU for {len(prompt)} characters"


def _cpu_seconds(fn: Any) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start
